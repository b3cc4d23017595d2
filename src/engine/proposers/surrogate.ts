// A main-effects surrogate over the declared knobs, fitted to every scored node in the tree: each
// knob value's mean utility (the marginal mean), so a change's expected gain uses all results, not
// only the parent–child edges that made it. Values never scored get an optimistic bonus that
// shrinks as they are measured (UCB-like), so the model still explores.
import type { Experiment } from '../experiment';
import { getPath, type NodeConfig } from '../spec/configPaths';
import type { Json } from '../spec/types';

export interface KnobValueStats {
  n: number;
  mean: number;
}

export interface MainEffects {
  /** Expected utility change of moving `path` from `from` to `to`, and how many results back each side. */
  gain(path: string, from: Json | undefined, to: Json): { delta: number; nTo: number; nFrom: number };
}

const key = (path: string, v: Json | undefined) => `${path}=${JSON.stringify(v ?? null)}`;

/** `configOf` may cache: a node's config never changes once created (large trees would re-read every file). */
export function fitMainEffects(exp: Experiment, paths: readonly string[], configOf: (id: string) => NodeConfig = (id) => exp.readNodeConfig(id)): MainEffects {
  const tree = exp.tree;
  const sums = new Map<string, { n: number; sum: number }>();
  for (const node of tree.nodes.values()) {
    if (node.status !== 'succeeded' || !node.result || node.result.reusedFrom) continue;
    const u = tree.utility(node.result.score);
    const config = configOf(node.id);
    for (const p of paths) {
      const k = key(p, getPath(config, p));
      const s = sums.get(k) ?? { n: 0, sum: 0 };
      s.n++;
      s.sum += u;
      sums.set(k, s);
    }
  }
  const stats = (path: string, v: Json | undefined): KnobValueStats | undefined => {
    const s = sums.get(key(path, v));
    return s ? { n: s.n, mean: s.sum / s.n } : undefined;
  };
  return {
    gain(path, from, to) {
      const a = stats(path, from);
      const b = stats(path, to);
      return { delta: a && b ? b.mean - a.mean : 0, nTo: b?.n ?? 0, nFrom: a?.n ?? 0 };
    },
  };
}
