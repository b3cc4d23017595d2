// MCTS-style selection (UCT) with progressive widening; greedy when the budget is small.
//
// Every finished node is a visit with a reward in [0,1] (normalized score; failures 0). A node's
// value is the best reward in its subtree (max backup: we look for the single best fine-tune, not
// the best average), and nodes still pending or running count as visits without reward so
// parallel slots spread out. Descending from the root, a node is expanded when it may still take
// children under progressive widening — children allowed = per_expansion × ceil(k · N^alpha) —
// otherwise the search descends into the child with the highest value + c·sqrt(ln N / N_child).
//
// A budget of at most SMALL_BUDGET runs (baseline included) is too short for exploration to pay
// off: with 8 runs, UCT spent its last runs re-widening the root while its best child waited. For
// such budgets UCT expands the best node so far, one child at a time so every run informs the next
// choice (greedy hill-climbing); longer budgets keep full
// UCT, which explores more and wins there. Chosen on the addition and dates grids only
// (bench/tuneSearch.ts); extraction and sentiment are held out in the benchmark.
import { expandable, normalizedRewards, type SelectionContext, type SelectionPolicy } from './policy';
import type { TreeNode } from '../tree/tree';

interface Stats {
  visits: number; // finished nodes in the subtree plus in-flight ones
  best: number; // max reward in the subtree
}

/** Budgets (in training runs) up to this size are searched greedily. */
export const SMALL_BUDGET = 8;

const smallBudget = (ctx: SelectionContext) => ctx.runsBudget !== undefined && ctx.runsBudget <= SMALL_BUDGET;

export const uctPolicy: SelectionPolicy = {
  name: 'uct',
  childrenPerExpansion(ctx: SelectionContext): number | undefined {
    return smallBudget(ctx) ? 1 : undefined;
  },
  select(ctx: SelectionContext): string | null {
    const { tree, settings } = ctx;
    if (!tree.root) return null;
    const rewards = normalizedRewards(tree);
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
    const c = settings.exploration;

    if (smallBudget(ctx)) {
      let best: string | null = null;
      for (const id of canExpand) if (best === null || rewards.get(id)! > rewards.get(best)! || (rewards.get(id) === rewards.get(best) && id < best)) best = id;
      return best;
    }

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
