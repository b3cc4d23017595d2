// When research runs again during a search: the evidence changed since it last ran. Either the
// search is on a plateau (the last `refreshAfter` finished nodes did not beat the best score, and
// as many finished since the last research) or a node failed in a way not seen before (a new
// failure class). Refreshes are capped per search; each is recorded with its reason.
import type { ResearchTrigger } from '../../tree/events';
import type { ExperimentTree, TreeNode } from '../../tree/tree';
import { REFRESH_HEADING } from './researcher';

export interface RefreshDue {
  trigger: ResearchTrigger;
  /** Why, in words, for research.md, the event and the Researcher's brief. */
  why: string;
}

/**
 * A failure's class: the stage and the first line of the reason with numbers, node ids and quoted
 * values masked, so "max_seq_len must be ≤ 128, got 512" and "…got 256" are one class.
 */
export function failureClass(f: { stage: string; reason: string }): string {
  const first = (f.reason.split('\n').find((l) => l.trim()) ?? '').trim();
  const masked = first
    .replace(/\bn\d{4,}\b/g, '<node>')
    .replace(/(["'`]).*?\1/g, '<value>')
    .replace(/\d+(\.\d+)?(e-?\d+)?/gi, '<n>')
    .replace(/\s+/g, ' ');
  return `${f.stage}: ${masked.slice(0, 160)}`;
}

/** Finished nodes (succeeded or failed) in the order they finished. */
function finished(tree: ExperimentTree): TreeNode[] {
  return [...tree.nodes.values()].filter((n) => n.status === 'succeeded' || n.status === 'failed').sort((a, b) => a.updatedAt - b.updatedAt || (a.id < b.id ? -1 : 1));
}

/** How many nodes finished after the one that last raised the best score (all of them when none scored). */
function finishedSinceBest(tree: ExperimentTree, done: TreeNode[]): number {
  let best = -Infinity;
  let at = -1;
  done.forEach((n, i) => {
    if (n.status !== 'succeeded' || !n.result) return;
    const u = tree.utility(n.result.score);
    if (u > best) {
      best = u;
      at = i;
    }
  });
  return done.length - 1 - at;
}

export class RefreshWatch {
  private finishedAtLast = 0;
  private classes = new Set<string>();
  private count = 0;

  constructor(private readonly settings: { refreshAfter: number; maxRefreshes: number }) {}

  get refreshes(): number {
    return this.count;
  }

  /** Research now reflects the tree as it is: later evidence is measured from here. */
  settle(tree: ExperimentTree, refreshed: boolean): void {
    const done = finished(tree);
    this.finishedAtLast = done.length;
    this.classes = new Set(done.filter((n) => n.failure).map((n) => failureClass(n.failure!)));
    if (refreshed) this.count++;
  }

  /** The reason research should run again now, or null. */
  due(tree: ExperimentTree): RefreshDue | null {
    if (this.count >= this.settings.maxRefreshes) return null;
    const done = finished(tree);
    const fresh = done.filter((n) => n.failure && !this.classes.has(failureClass(n.failure)));
    if (fresh.length) {
      const n = fresh[fresh.length - 1];
      return { trigger: 'failure_class', why: `a new kind of failure appeared: ${n.id} failed in ${failureClass(n.failure!)}` };
    }
    const N = this.settings.refreshAfter;
    const stale = finishedSinceBest(tree, done);
    if (stale >= N && done.length - this.finishedAtLast >= N) {
      const best = tree.best();
      return { trigger: 'plateau', why: `the search is on a plateau: the last ${stale} finished node(s) did not beat the best ${tree.metric} (${best?.result ? `${best.id} ${best.result.score.toFixed(4)}` : 'none scored'})` };
    }
    return null;
  }
}

/** research.md split into the first notes and the latest refresh section (empty when none). */
export function splitResearch(text: string): { notes: string; latestRefresh: string } {
  const at = text.indexOf(`\n${REFRESH_HEADING}`);
  if (at < 0) return { notes: text, latestRefresh: '' };
  const last = text.lastIndexOf(`\n${REFRESH_HEADING}`);
  return { notes: text.slice(0, at), latestRefresh: text.slice(last + 1) };
}
