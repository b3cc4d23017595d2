// The knobs view's data: every finished node's values of the search_space paths of trex.yaml,
// with its score. Read from the node's own files (what really ran, edits included); parsed
// values are kept per node until its files change, so reopening the view on a large tree stays cheap.
import { statSync } from 'node:fs';
import { getPath, NODE_FILES, type Experiment, type Json, type SearchKnob } from '../../engine';
import type { KnobAxis, KnobTable, NodeStatusView } from '../../../webview/protocol';

const FINISHED = new Set<NodeStatusView>(['succeeded', 'failed', 'cancelled', 'stopped']);

export function knobAxis(knob: SearchKnob): KnobAxis {
  const numeric = knob.range !== undefined || (knob.values !== undefined && knob.values.every((v) => typeof v === 'number'));
  return {
    path: knob.path,
    kind: numeric ? 'number' : 'category',
    log: numeric && knob.scale === 'log',
    categories: numeric ? [] : (knob.values ?? []).map(label),
  };
}

export function buildKnobTable(exp: Experiment): KnobTable {
  const axes = exp.spec.search_space.map(knobAxis);
  const rows: KnobTable['rows'] = [];
  for (const n of exp.tree.nodes.values()) {
    if (!FINISHED.has(n.status)) continue;
    rows.push({ id: n.id, status: n.status, score: n.result?.score ?? null, values: knobValuesOf(exp, n.id, axes) });
  }
  return { metric: exp.spec.metric.name, goal: exp.spec.metric.goal, axes, rows };
}

const cache = new WeakMap<Experiment, Map<string, { stamp: string; values: (number | string | null)[] }>>();

function knobValuesOf(exp: Experiment, id: string, axes: KnobAxis[]): (number | string | null)[] {
  const stamp = fileStamp(exp.nodePath(id, NODE_FILES.recipe)) + '|' + fileStamp(exp.nodePath(id, NODE_FILES.train));
  let perNode = cache.get(exp);
  if (!perNode) cache.set(exp, (perNode = new Map()));
  const hit = perNode.get(id);
  if (hit && hit.stamp === stamp) return hit.values;
  let values: (number | string | null)[];
  try {
    const config = exp.readNodeConfig(id);
    values = axes.map((a) => cell(a, getPath(config, a.path)));
  } catch {
    values = axes.map(() => null); // files missing or invalid: the run sits at n/a on every axis
  }
  perNode.set(id, { stamp, values });
  return values;
}

function fileStamp(path: string): string {
  try {
    const st = statSync(path);
    return `${st.mtimeMs}:${st.size}`;
  } catch {
    return 'missing';
  }
}

function cell(axis: KnobAxis, v: Json | undefined): number | string | null {
  if (v === undefined || v === null) return null;
  if (axis.kind === 'number') return typeof v === 'number' && Number.isFinite(v) ? v : null;
  return label(v);
}

function label(v: Json): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}
