// What the panel's details pane shows for one node: its plan, the diff of its files against its
// parent's, its metrics and the loss curve from the trainer's log (LLaMA-Factory's
// trainer_log.jsonl: one JSON object per line with current_steps and loss).
import { readFileSync } from 'node:fs';
import { finalPick, isPlainObject, NODE_FILES, replicateAnchor, type Experiment, type JsonObject, type TreeNode } from '../../engine';
import type { LossPoint, NodeDetails } from '../../../webview/protocol';
import { existingStageLogs } from '../logs/stageLogs';
import { unifiedDiff } from '../util/lineDiff';

const MAX_PLAN = 64 * 1024;
const MAX_POINTS = 400;

export function buildNodeDetails(exp: Experiment, id: string): NodeDetails {
  const node = exp.tree.get(id);
  return {
    id,
    plan: readCapped(exp.nodePath(id, NODE_FILES.plan), MAX_PLAN),
    diff: node.parent ? unifiedDiff(configText(exp, node.parent), configText(exp, id), `nodes/${node.parent}`, `nodes/${id}`) : '',
    metrics: [...finalPickRows(exp, id), ...metricsOf(node, exp.spec.metric.name)],
    loss: readLossCurve(exp.nodePath(id, 'ckpt', 'trainer_log.jsonl')),
    stageLogs: existingStageLogs(exp, id),
  };
}

/** For a node whose configuration the final pick re-ran over seeds: its mean ± sd and whether it is the recommendation. */
function finalPickRows(exp: Experiment, id: string): { name: string; value: string }[] {
  const f = finalPick(exp.tree);
  const anchor = replicateAnchor(exp.tree, id);
  const mine = f?.finalists.find((x) => x.anchor === anchor);
  if (!f || !mine) return [];
  const metric = exp.spec.metric.name;
  const rows = [
    { name: 'final pick', value: f.pick.anchor === anchor ? `recommended (best mean over seeds; runs ${mine.ids.join(', ')})` : `finalist, not chosen (runs ${mine.ids.join(', ')})` },
    { name: `${metric} over seeds (validation)`, value: `${mine.mean.toFixed(4)} ± ${mine.sd.toFixed(4)} (n=${mine.scores.length})` },
  ];
  if (mine.testMean !== undefined) rows.push({ name: `${metric} over seeds (test, not used to choose)`, value: mine.testMean.toFixed(4) });
  return rows;
}

function configText(exp: Experiment, id: string): string {
  // Without the schema comment and trailing blank lines, so only real edits show up.
  const strip = (t: string) => t.split('\n').filter((l) => !l.startsWith('# yaml-language-server')).join('\n').replace(/\s+$/, '');
  return `# recipe.yaml\n${strip(readCapped(exp.nodePath(id, NODE_FILES.recipe), MAX_PLAN))}\n# train.yaml\n${strip(readCapped(exp.nodePath(id, NODE_FILES.train), MAX_PLAN))}`;
}

function readCapped(path: string, max: number): string {
  try {
    const text = readFileSync(path, 'utf8');
    return text.length > max ? text.slice(0, max) + '\n…' : text;
  } catch {
    return '';
  }
}

export function metricsOf(n: TreeNode, metric: string): { name: string; value: string }[] {
  const out: { name: string; value: string }[] = [];
  const r = n.result;
  if (r) {
    out.push({ name: `${metric} (validation)`, value: r.score.toFixed(4) });
    if (r.testScore !== undefined) out.push({ name: `${metric} (test)`, value: r.testScore.toFixed(4) });
    for (const [name, v] of flattenMetrics(r.metrics)) {
      if (name === metric || name === `validation.${metric}` || name === `test.${metric}`) continue; // shown above
      out.push({ name, value: String(Number(v.toFixed(6))) });
    }
    out.push({ name: 'compute', value: `${(r.computeMs / 1000).toFixed(1)} s` });
    if (r.savedMs) out.push({ name: 'saved by reuse', value: `${(r.savedMs / 1000).toFixed(1)} s` });
    if (r.reusedFrom) out.push({ name: 'reused from', value: r.reusedFrom });
    if (r.warmStartFrom) out.push({ name: 'warm start from', value: r.warmStartFrom });
    if (r.dataCacheHit) out.push({ name: 'data cache', value: 'hit' });
  }
  if (n.where) out.push({ name: 'ran on', value: n.where });
  for (const [stage, ms] of Object.entries(n.stageMs)) out.push({ name: `${stage} time`, value: `${((ms ?? 0) / 1000).toFixed(1)} s` });
  return out;
}

/** Numeric metrics, nested objects flattened one level ("validation.exact_match"); labels and the headline metric are left out. */
function flattenMetrics(metrics: JsonObject): [string, number][] {
  const out: [string, number][] = [];
  for (const [k, v] of Object.entries(metrics)) {
    if (typeof v === 'number') out.push([k, v]);
    else if (isPlainObject(v)) {
      for (const [k2, v2] of Object.entries(v)) if (typeof v2 === 'number') out.push([`${k}.${k2}`, v2]);
    }
  }
  return out.slice(0, 40);
}

export function readLossCurve(path: string): LossPoint[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  const points: LossPoint[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const v = JSON.parse(line) as { current_steps?: unknown; loss?: unknown };
      if (typeof v.current_steps === 'number' && typeof v.loss === 'number' && Number.isFinite(v.loss)) points.push({ step: v.current_steps, loss: v.loss });
    } catch {
      // a partial last line while training writes it
    }
  }
  if (points.length <= MAX_POINTS) return points;
  const every = Math.ceil(points.length / MAX_POINTS);
  return points.filter((_, i) => i % every === 0 || i === points.length - 1);
}
