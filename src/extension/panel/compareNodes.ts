// What the compare view shows for 2+ nodes: each one's loss curve and metrics, and the config
// paths whose values differ between them (the rest is identical and left out).
import { type Experiment, type Json, type NodeConfig } from '../../engine';
import type { CompareData } from '../../../webview/protocol';
import { metricsOf, readLossCurve } from './nodeDetails';

export const MAX_COMPARED = 8;

export function buildCompareData(exp: Experiment, ids: string[]): CompareData {
  const configs = ids.map((id) => readConfigOrNull(exp, id));
  const nodes = ids.map((id) => {
    const n = exp.tree.get(id);
    return {
      id,
      title: n.title,
      status: n.status,
      score: n.result?.score ?? null,
      metrics: metricsOf(n, exp.spec.metric.name),
      loss: readLossCurve(exp.nodePath(id, 'ckpt', 'trainer_log.jsonl')),
    };
  });
  return { nodes, configDiff: differingPaths(configs) };
}

function readConfigOrNull(exp: Experiment, id: string): NodeConfig | null {
  try {
    return exp.readNodeConfig(id);
  } catch {
    return null; // files missing or invalid: every path shows as absent for this node
  }
}

/** Leaf paths ("train.lora.rank", "recipe.sources.0.num_examples") where the configs disagree, sorted. */
export function differingPaths(configs: (NodeConfig | null)[]): CompareData['configDiff'] {
  const flat = configs.map((c) => (c ? leaves(c) : new Map<string, string>()));
  const paths = new Set<string>();
  for (const f of flat) for (const k of f.keys()) paths.add(k);
  const out: CompareData['configDiff'] = [];
  for (const path of [...paths].sort()) {
    const values = flat.map((f) => f.get(path) ?? null);
    if (values.some((v) => v !== values[0])) out.push({ path, values });
  }
  return out;
}

function leaves(c: NodeConfig): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (v: Json | undefined, prefix: string) => {
    if (v !== null && typeof v === 'object' && Object.keys(v).length > 0) {
      for (const [k, child] of Object.entries(v)) walk(child as Json, `${prefix}.${k}`);
    } else if (v !== undefined) {
      out.set(prefix, typeof v === 'string' ? v : JSON.stringify(v));
    }
  };
  walk(c.recipe, 'recipe');
  walk(c.train, 'train');
  return out;
}
