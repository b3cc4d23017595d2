// Selection policies: which node to expand next. All see the same context and never mutate the tree.
import type { SearchSettings } from '../spec/types';
import type { ExperimentTree, TreeNode } from '../tree/tree';
import type { Rng } from './rng';

export interface SelectionContext {
  tree: ExperimentTree;
  settings: SearchSettings;
  rng: Rng;
  /** True when the proposer has nothing new to offer from this node. */
  isExhausted: (id: string) => boolean;
  /** Training runs the budget still allows (not yet started); absent when runs are not limited. */
  runsLeft?: number;
  /** The whole budget in training runs (spent and left); absent when runs are not limited. */
  runsBudget?: number;
}

export interface SelectionPolicy {
  readonly name: string;
  /** The node to expand, or null when no node can be expanded now. */
  select(ctx: SelectionContext): string | null;
  /** How many children the next expansion proposes, when the policy wants other than children_per_expansion. */
  childrenPerExpansion?(ctx: SelectionContext): number | undefined;
}

/** A node can be expanded if it ran successfully, is not pruned and still has ideas left. */
export function expandable(ctx: SelectionContext): TreeNode[] {
  return [...ctx.tree.nodes.values()].filter(
    (n) => n.status === 'succeeded' && n.result !== undefined && !ctx.tree.isPruned(n.id) && !ctx.isExhausted(n.id),
  );
}

/** Maps each scored node to [0,1] between the worst and the best result so far; failures are 0. */
export function normalizedRewards(tree: ExperimentTree): Map<string, number> {
  const rewards = new Map<string, number>();
  let lo = Infinity;
  let hi = -Infinity;
  for (const n of tree.nodes.values()) {
    if (n.status === 'succeeded' && n.result) {
      const u = tree.utility(n.result.score);
      lo = Math.min(lo, u);
      hi = Math.max(hi, u);
    }
  }
  for (const n of tree.nodes.values()) {
    if (n.status === 'succeeded' && n.result) {
      const u = tree.utility(n.result.score);
      rewards.set(n.id, hi > lo ? (u - lo) / (hi - lo) : 0.5);
    } else if (n.status === 'failed') {
      rewards.set(n.id, 0);
    }
  }
  return rewards;
}
