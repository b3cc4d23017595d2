// How large a score difference must be before it means anything: the binomial standard error of a
// rate metric (accuracy, exact match: a score in [0, 1]) measured on n validation examples, and the
// spread of replicates (the same config re-run with other seeds). A difference under ~2 SE is noise.
import type { NodeResult } from './tree/events';
import type { ExperimentTree, TreeNode } from './tree/tree';
import { isPlainObject } from './util/isPlainObject';

export type EffectVerdict = 'helped' | 'hurt' | 'within noise';

/** Paths that only re-draw randomness: a child that changes nothing else is a replicate of its parent. */
const SEED_PATHS = new Set(['train.seed', 'recipe.seed']);

/** sqrt(p(1-p)/n) for a score that is a rate (p kept half an example from 0 and 1); undefined for other metrics or an unknown size. */
export function binomialSE(p: number, n: number | undefined, goal: 'maximize' | 'minimize' = 'maximize'): number | undefined {
  // A rate (share of examples right) is maximised; a minimised score is a loss or an error measure.
  if (goal !== 'maximize' || n === undefined || !(n > 0) || !Number.isFinite(p) || p < 0 || p > 1) return undefined;
  // 0/n or n/n does not mean zero noise: keep p at least half an example away from 0 and 1.
  const q = Math.min(Math.max(p, 0.5 / n), 1 - 0.5 / n);
  return Math.sqrt((q * (1 - q)) / n);
}

/** The validation size a result was measured on: metrics.json's validation.n, else the spec's. */
export function validationSizeOf(result: NodeResult | undefined, fallback?: number): number | undefined {
  const v = result?.metrics?.validation;
  if (isPlainObject(v)) {
    const n = v.n;
    if (typeof n === 'number' && Number.isInteger(n) && n > 0) return n;
  }
  return fallback && fallback > 0 ? fallback : undefined;
}

/** "helped" / "hurt" only when the (goal-aware) effect is at least twice its standard error. */
export function effectVerdict(delta: number, se: number | undefined): EffectVerdict {
  if (se !== undefined && Math.abs(delta) < 2 * se) return 'within noise';
  return delta > 0 ? 'helped' : 'hurt';
}

export interface ReplicateGroup {
  /** The node whose config the replicates share (up to seeds). */
  of: string;
  ids: string[];
  scores: number[];
  sd: number;
}

/** A child that changes only seeds: a re-run of its parent's configuration, not an experiment of its own. */
export function isReplicate(n: TreeNode): boolean {
  return n.parent !== null && n.changes.length > 0 && n.changes.every((c) => SEED_PATHS.has(c.path));
}

/** The node whose config `id` shares up to seeds (itself unless it only changed seeds). */
export function replicateAnchor(tree: ExperimentTree, id: string): string {
  let anchor = tree.get(id);
  while (isReplicate(anchor)) anchor = tree.get(anchor.parent!);
  return anchor.id;
}

/** Configs re-run with other seeds (children that change only seeds), with the sample sd of their scores. */
export function replicateGroups(tree: ExperimentTree): ReplicateGroup[] {
  const groups = new Map<string, string[]>();
  for (const n of tree.nodes.values()) {
    if (n.status !== 'succeeded' || !n.result || n.result.reusedFrom) continue;
    const anchor = replicateAnchor(tree, n.id);
    const ids = groups.get(anchor) ?? [];
    ids.push(n.id);
    groups.set(anchor, ids);
  }
  const out: ReplicateGroup[] = [];
  for (const [of, ids] of groups) {
    if (ids.length < 2) continue;
    const scores = ids.map((id) => tree.get(id).result!.score);
    const mean = scores.reduce((a, b) => a + b, 0) / scores.length;
    const sd = Math.sqrt(scores.reduce((a, s) => a + (s - mean) ** 2, 0) / (scores.length - 1));
    out.push({ of, ids, scores, sd });
  }
  return out;
}

/** The largest replicate sd seen, a floor under the binomial SE (seeds move scores too). */
export function replicateSd(tree: ExperimentTree): number | undefined {
  const g = replicateGroups(tree);
  return g.length ? Math.max(...g.map((x) => x.sd)) : undefined;
}

/** evaluation.validation_size of the spec, when it is a positive integer. */
export function specValidationSize(spec: { evaluation: Record<string, unknown> }): number | undefined {
  const n = spec.evaluation.validation_size;
  return typeof n === 'number' && Number.isInteger(n) && n > 0 ? n : undefined;
}
