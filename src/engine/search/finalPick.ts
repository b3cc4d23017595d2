// The final pick. One run's validation score is partly the luck of its seed, so when the search
// ends the top FINALISTS configurations are trained again with other seeds (real runs, as seed-only
// children) and the recommendation is the best mean. Each finalist's held-out test score is
// reported as its mean over the same runs; it never decides anything.
import { configHash, type Experiment } from '../experiment';
import { replicateAnchor, replicateGroups } from '../metricNoise';
import { getPath, setPath, type NodeConfig } from '../spec/configPaths';
import type { EdgeChange } from '../tree/events';
import type { ExperimentTree } from '../tree/tree';

/** How many configurations are re-run: few, since each costs final_seeds − 1 runs. */
export const FINALISTS = 2;
/** The proposer named on re-run nodes: it marks a replicate group as the final pick's. */
export const FINAL_PICK_PROPOSER = 'final pick (seed re-run)';

/** Runs the final pick adds: FINALISTS × (final_seeds − 1). */
export function finalRuns(finalSeeds: number): number {
  return FINALISTS * Math.max(0, finalSeeds - 1);
}

/**
 * Whether the final pick runs under this run budget. Its runs come out of budget.max_runs, so it
 * only runs when they are at most a third of it (12 runs or more by default): a small budget is
 * better spent on the search. Without a run limit it always runs (after the search ends).
 */
export function finalPickApplies(finalSeeds: number, maxRuns: number | undefined): boolean {
  const r = finalRuns(finalSeeds);
  return r > 0 && (maxRuns === undefined || maxRuns >= 3 * r);
}

/** The top `k` distinct configurations by their best single validation score, as replicate anchors. */
export function topConfigs(tree: ExperimentTree, k: number): string[] {
  const best = new Map<string, number>();
  for (const n of tree.succeeded()) {
    if (n.result!.reusedFrom || tree.isPruned(n.id)) continue;
    const anchor = replicateAnchor(tree, n.id);
    const u = tree.utility(n.result!.score);
    if (!best.has(anchor) || u > best.get(anchor)!) best.set(anchor, u);
  }
  // Stable sort: ties keep the earlier node first.
  return [...best.entries()].sort((a, b) => b[1] - a[1]).slice(0, k).map(([id]) => id);
}

export interface SeedRerun {
  parent: string;
  title: string;
  plan: string;
  config: NodeConfig;
  changes: EdgeChange[];
}

/** The seed-only children each finalist still needs to have `seeds` runs in all (those already run count). */
export function seedReruns(exp: Experiment, anchors: readonly string[], seeds: number): SeedRerun[] {
  const tree = exp.tree;
  const known = new Set([...tree.nodes.values()].map((n) => n.configHash));
  const out: SeedRerun[] = [];
  for (const anchor of anchors) {
    // Runs of this configuration up to seeds: done, running, or queued by an earlier final pick.
    const have = [...tree.nodes.values()].filter((n) => replicateAnchor(tree, n.id) === anchor && (n.status === 'pending' || n.status === 'running' || (n.status === 'succeeded' && !n.result?.reusedFrom))).length;
    const base = exp.readNodeConfig(anchor);
    const from = getPath(base, 'train.seed');
    // The trainers' default seed is 0.
    let seed = typeof from === 'number' ? from : 0;
    for (let i = have; i < seeds; i++) {
      let config: NodeConfig;
      do {
        seed++;
        config = setPath(base, 'train.seed', seed);
      } while (known.has(configHash(exp.spec, config)));
      known.add(configHash(exp.spec, config));
      out.push({
        parent: anchor,
        title: `seed ${seed} re-run of ${anchor}`,
        plan: `# Seed re-run of ${anchor}\n\n${anchor}'s configuration trained again with seed ${seed}, nothing else changed. The final pick compares the top ${FINALISTS} configurations by their mean validation score over ${seeds} seeds, not by one run.\n`,
        config,
        changes: [{ path: 'train.seed', from: from ?? null, to: seed }],
      });
    }
  }
  return out;
}

export interface Finalist {
  /** The node whose configuration was re-run. */
  anchor: string;
  ids: string[];
  scores: number[];
  mean: number;
  /** Sample sd of the validation scores. */
  sd: number;
  /** Held-out test scores of the same runs (reported, never used to choose). */
  testScores: number[];
  testMean?: number;
}

export interface FinalPick {
  pick: Finalist;
  finalists: Finalist[];
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** The recommendation once the finalists were re-run: the best mean validation score among them. */
export function finalPick(tree: ExperimentTree): FinalPick | undefined {
  const finalists: Finalist[] = [];
  for (const g of replicateGroups(tree)) {
    if (!g.ids.some((id) => tree.get(id).proposer === FINAL_PICK_PROPOSER)) continue;
    const testScores = g.ids.map((id) => tree.get(id).result!.testScore).filter((s): s is number => typeof s === 'number');
    finalists.push({ anchor: g.of, ids: g.ids, scores: g.scores, mean: mean(g.scores), sd: g.sd, testScores, testMean: testScores.length ? mean(testScores) : undefined });
  }
  if (!finalists.length) return undefined;
  finalists.sort((a, b) => tree.utility(b.mean) - tree.utility(a.mean));
  return { pick: finalists[0], finalists };
}

/** `0.812 ± 0.013 (n=3)`: a mean with its sample sd over seeds. */
export function formatMeanSd(f: Pick<Finalist, 'mean' | 'sd' | 'scores'>, digits = 4): string {
  return `${f.mean.toFixed(digits)} ± ${f.sd.toFixed(digits)} (n=${f.scores.length})`;
}
