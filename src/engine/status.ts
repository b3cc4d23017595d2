// A plain snapshot of the tree for `trex status --json`, the views and the benchmarks.
import type { ExperimentTree, TreeNode } from './tree/tree';
import type { EdgeChange, NodeStatus } from './tree/events';
import { finalPick } from './search/finalPick';

export interface NodeSummary {
  id: string;
  parent: string | null;
  status: NodeStatus;
  title: string;
  score: number | null;
  testScore: number | null;
  reusedFrom: string | null;
  warmStartFrom: string | null;
  dataCacheHit: boolean;
  pruned: boolean;
  changes: EdgeChange[];
  computeMs: number;
  savedMs: number;
  failure: string | null;
  where: string | null;
  /** The last time llm-uct chose this node: the kind of step and why (or that UCT's pick stood). */
  expansion: { kind: string | null; reason: string; fallback: boolean } | null;
  /** Why the run was stopped early, with its partial result (never a full score). */
  earlyStop: { step: number; rung: number; metric: string; value: number; threshold: number; reason: string; partial: true } | null;
  /** Set when a run stopped early was resumed from its checkpoint at this step. */
  resumedFromStep: number | null;
}

export interface TreeSummary {
  metric: string;
  goal: 'maximize' | 'minimize';
  runs: number;
  computeMs: number;
  savedMs: number;
  tokens: number;
  costUsd: number;
  nodes: NodeSummary[];
  best: { id: string; score: number; testScore: number | null } | null;
  bestPath: string[];
  /** The recommendation by mean over seeds (the final pick), once the finalists were re-run. */
  final: { pick: FinalistSummary; finalists: FinalistSummary[] } | null;
}

export interface FinalistSummary {
  /** The node whose configuration was re-run with other seeds. */
  id: string;
  /** Every run of it: the node and its seed re-runs. */
  runs: string[];
  scores: number[];
  mean: number;
  sd: number;
  /** Mean held-out test score over the same runs: reported, never used to choose. */
  testMean: number | null;
}

function finalSummary(tree: ExperimentTree): TreeSummary['final'] {
  const f = finalPick(tree);
  if (!f) return null;
  const one = (x: (typeof f.finalists)[number]): FinalistSummary => ({ id: x.anchor, runs: x.ids, scores: x.scores, mean: x.mean, sd: x.sd, testMean: x.testMean ?? null });
  return { pick: one(f.pick), finalists: f.finalists.map(one) };
}

function lastExpansion(n: TreeNode): NodeSummary['expansion'] {
  const x = n.expansions?.[n.expansions.length - 1];
  return x ? { kind: x.kind ?? null, reason: x.reason, fallback: x.fallback } : null;
}

export function summarizeTree(tree: ExperimentTree): TreeSummary {
  const best = tree.best();
  return {
    metric: tree.metric,
    goal: tree.goal,
    runs: tree.runsSpent(),
    computeMs: tree.computeMsSpent(),
    savedMs: tree.savedMs(),
    tokens: tree.usage.tokens,
    costUsd: tree.usage.costUsd,
    nodes: [...tree.nodes.values()].map((n) => ({
      id: n.id,
      parent: n.parent,
      status: n.status,
      title: n.title,
      score: n.result?.score ?? null,
      testScore: n.result?.testScore ?? null,
      reusedFrom: n.result?.reusedFrom ?? null,
      warmStartFrom: n.result?.warmStartFrom ?? null,
      dataCacheHit: n.result?.dataCacheHit ?? false,
      pruned: n.pruned,
      changes: n.changes,
      computeMs: (n.result?.computeMs ?? n.failure?.computeMs ?? 0) + (n.earlyStop?.computeMs ?? 0),
      savedMs: n.result?.savedMs ?? 0,
      failure: n.failure ? `${n.failure.stage}: ${n.failure.reason}` : null,
      where: n.where ?? null,
      expansion: lastExpansion(n),
      earlyStop: n.earlyStop ? { step: n.earlyStop.step, rung: n.earlyStop.rung, metric: n.earlyStop.metric, value: n.earlyStop.value, threshold: n.earlyStop.threshold, reason: n.earlyStop.reason, partial: true } : null,
      resumedFromStep: n.result?.resumedFromStep ?? n.resumeStep ?? null,
    })),
    best: best?.result ? { id: best.id, score: best.result.score, testScore: best.result.testScore ?? null } : null,
    bestPath: tree.bestPath(),
    final: finalSummary(tree),
  };
}
