// MCTS-style selection (UCT) with progressive widening, aware of the run budget.
//
// Every finished node is a visit with a reward in [0,1] (normalized score; failures 0). A node's
// value is the best reward in its subtree (max backup: we look for the single best fine-tune, not
// the best average), and nodes still pending or running count as visits without reward so
// parallel slots spread out. Descending from the root, a node is expanded when it may still take
// children under progressive widening — children allowed = per_expansion × ceil(k · N^alpha) —
// otherwise the search descends into the child with the highest value + c·sqrt(ln N / N_child).
//
// Short budgets change the trade-off (the tuning knobs are `UctTuning`, chosen on the benchmark's
// tuning grids only, addition and dates; bench/tuneSearch.ts). Measured there over 20 seeds: an
// endgame of 12 runs gives UCT @16 0.974 (endgame 10: 0.964); fewer children per later expansion
// and exploration decay did not help and are off by default.
// - a budget of at most `greedyBudget` runs is too short for exploration to pay off: UCT expands
//   the best node so far, one child at a time, so every run informs the next choice;
// - in the last `endgame` runs of any budget the search exploits the best node's neighbourhood
//   the same way, rather than open branches it has no runs left to follow;
// - within a budget of at most `shortBudget` runs, expansions after the root's first propose
//   `shortChildren` children each, and exploration shrinks with the share of the budget left.
import { expandable, normalizedRewards, type SelectionContext, type SelectionPolicy } from './policy';
import type { TreeNode } from '../tree/tree';

interface Stats {
  visits: number; // finished nodes in the subtree plus in-flight ones
  best: number; // max reward in the subtree
}

export interface UctTuning {
  /** Budgets (in training runs) up to this size are searched greedily, one child at a time. */
  greedyBudget: number;
  /** With this many runs left (or fewer), expand the best node, one child at a time. */
  endgame: number;
  /** Budgets up to this size count as short for the two knobs below. */
  shortBudget: number;
  /** Children per expansion after the root's first one, within a short budget (undefined: the configured number). */
  shortChildren?: number;
  /** Exploration × (runs left / budget)^decay within a short budget (0: constant). */
  explorationDecay: number;
}

export const DEFAULT_UCT_TUNING: UctTuning = { greedyBudget: 8, endgame: 12, shortBudget: 16, shortChildren: undefined, explorationDecay: 0 };

/** Budgets (in training runs) up to this size are searched greedily. */
export const SMALL_BUDGET = DEFAULT_UCT_TUNING.greedyBudget;

/** The best expandable node (ties: the lower id), or null. */
function bestExpandable(ctx: SelectionContext, rewards: Map<string, number>): string | null {
  let best: string | null = null;
  for (const n of expandable(ctx)) {
    const id = n.id;
    if (best === null || rewards.get(id)! > rewards.get(best)! || (rewards.get(id) === rewards.get(best) && id < best)) best = id;
  }
  return best;
}

export function budgetedUct(tuning: UctTuning, name = 'uct'): SelectionPolicy {
  const limited = (ctx: SelectionContext) => ctx.runsBudget !== undefined && ctx.runsLeft !== undefined;
  const greedyNow = (ctx: SelectionContext) => limited(ctx) && (ctx.runsBudget! <= tuning.greedyBudget || ctx.runsLeft! <= tuning.endgame);
  const short = (ctx: SelectionContext) => limited(ctx) && ctx.runsBudget! <= tuning.shortBudget;
  return {
    name,
    childrenPerExpansion(ctx: SelectionContext): number | undefined {
      if (greedyNow(ctx)) return 1;
      const root = ctx.tree.root;
      if (short(ctx) && tuning.shortChildren !== undefined && root !== undefined && root !== null && ctx.tree.get(root).children.length > 0) return tuning.shortChildren;
      return undefined;
    },
    select(ctx: SelectionContext): string | null {
      const { tree, settings } = ctx;
      if (!tree.root) return null;
      const rewards = normalizedRewards(tree);
      if (greedyNow(ctx)) return bestExpandable(ctx, rewards);
      const canExpand = new Set(expandable(ctx).map((n) => n.id));
      const stats = new Map<string, Stats>();

      const compute = (n: TreeNode): Stats => {
        const own = rewards.get(n.id);
        const inFlight = n.status === 'pending' || n.status === 'running' || n.status === 'awaiting_approval';
        let visits = own !== undefined || inFlight ? 1 : 0;
        let best = own ?? 0;
        for (const c of n.children) {
          const s = compute(tree.get(c));
          visits += s.visits;
          best = Math.max(best, s.best);
        }
        const st = { visits, best };
        stats.set(n.id, st);
        return st;
      };
      compute(tree.get(tree.root));

      const { k, alpha } = settings.widening;
      const perExpansion = settings.children_per_expansion;
      const left = short(ctx) ? Math.max(0, ctx.runsLeft!) / Math.max(1, ctx.runsBudget!) : 1;
      const c = settings.exploration * Math.pow(left, tuning.explorationDecay);

      const descend = (n: TreeNode): string | null => {
        if (tree.isPruned(n.id)) return null;
        const st = stats.get(n.id)!;
        const allowed = perExpansion * Math.ceil(k * Math.pow(Math.max(1, st.visits), alpha));
        if (canExpand.has(n.id) && n.children.length < allowed) return n.id;
        const ranked = n.children
          .map((id) => tree.get(id))
          .filter((ch) => (stats.get(ch.id)?.visits ?? 0) > 0 && !tree.isPruned(ch.id))
          .map((ch) => {
            const cs = stats.get(ch.id)!;
            const score = cs.best + c * Math.sqrt(Math.log(Math.max(st.visits, 1)) / cs.visits);
            return { ch, score };
          })
          .sort((a, b) => b.score - a.score || (a.ch.id < b.ch.id ? -1 : 1));
        for (const { ch } of ranked) {
          const pick = descend(ch);
          if (pick) return pick;
        }
        // Every subtree below is busy or spent: widen here after all.
        return canExpand.has(n.id) ? n.id : null;
      };
      return descend(tree.get(tree.root));
    },
  };
}

export const uctPolicy: SelectionPolicy = budgetedUct(DEFAULT_UCT_TUNING);
