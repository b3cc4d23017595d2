// Builds trees from events for policy tests: node(id, parent, score|'failed'|'pending').
import { ExperimentTree, type NewTreeEvent, type TreeEvent } from '../../src/engine';

export class TreeBuilder {
  private events: TreeEvent[] = [];
  private seq = 0;

  constructor(goal: 'maximize' | 'minimize' = 'maximize') {
    this.push({ type: 'experiment_created', name: 't', metric: 'acc', goal });
  }

  private push(e: NewTreeEvent): void {
    this.events.push({ ...e, seq: this.seq++, t: this.seq } as TreeEvent);
  }

  node(id: string, parent: string | null, outcome: number | 'failed' | 'pending' | 'running'): this {
    this.push({ type: 'node_created', id, parent, origin: parent ? 'proposer' : 'root', title: id, changes: [], configHash: `h-${id}`, recipeHash: 'r', status: 'pending' });
    if (typeof outcome === 'number') {
      this.push({ type: 'node_result', id, result: { score: outcome, metrics: {}, wallMs: 1, computeMs: 1, savedMs: 0 } });
    } else if (outcome === 'failed') {
      this.push({ type: 'node_failed', id, stage: 'train', reason: 'boom', logTail: '' });
    } else if (outcome === 'running') {
      this.push({ type: 'node_status', id, status: 'running', stage: 'train' });
    }
    return this;
  }

  prune(id: string): this {
    this.push({ type: 'node_pruned', id, pruned: true });
    return this;
  }

  /** Folds the events directly: short ids like 'r' and 'a' are not node ids, which fromEvents (the log reader) refuses. */
  build(): ExperimentTree {
    const tree = new ExperimentTree();
    for (const e of this.events) tree.apply(e);
    return tree;
  }
}
