// Early stopping while a node trains: each evaluation during training that reaches a rung is
// recorded (a node_rung event), then ranked against what the node's siblings and the tree's best
// nodes recorded at the same rung (search/rungs.ts). A node below the rung's threshold gets a stop
// decision; the executor cancels its job and records why.
import type { Experiment } from '../experiment';
import type { EarlyStoppingSettings } from '../spec/types';
import type { EarlyStop } from '../tree/events';
import type { TreeNode } from '../tree/tree';
import { FINAL_PICK_PROPOSER } from '../search/finalPick';
import { metricGoal, rungDecision, rungSteps } from '../search/rungs';

export type StopDecision = Omit<EarlyStop, 'computeMs'> & { reason: string };

export class RungMonitor {
  private readonly steps: number[];

  constructor(
    private readonly exp: Experiment,
    private readonly settings: EarlyStoppingSettings,
  ) {
    this.steps = rungSteps(settings);
  }

  /** Records the rungs this evaluation reaches; a decision when the node should stop there. */
  observe(id: string, step: number, metric: string, value: number): StopDecision | null {
    const tree = this.exp.tree;
    const node = tree.get(id);
    let decision: StopDecision | null = null;
    this.steps.forEach((rungStep, rung) => {
      if (step < rungStep || node.rungs.some((r) => r.rung === rung)) return;
      this.exp.emit({ type: 'node_rung', id, rung, step, metric, value });
      // A resumed node was let go on purpose, and a final-pick re-run measures seed noise: both train to the end.
      if (decision || node.resumeStep !== undefined || node.proposer === FINAL_PICK_PROPOSER) return;
      const d = rungDecision({
        value,
        step,
        peers: this.peerValues(node, rung, metric),
        goal: metricGoal(metric, tree.metric, tree.goal),
        reductionFactor: this.settings.reduction_factor,
        minSteps: this.settings.min_steps,
      });
      if (!d.stop) return;
      const reason = `stopped early at step ${step} (rung ${rung}): ${metric} ${value} vs threshold ${d.threshold} (the top ${d.kept} of ${d.of} at this rung go on)`;
      decision = { rung, step, metric, value, threshold: d.threshold, of: d.of, reason };
    });
    return decision;
  }

  /** What the node's siblings and the tree's best nodes (by full result) recorded at this rung. */
  private peerValues(node: TreeNode, rung: number, metric: string): number[] {
    const tree = this.exp.tree;
    const siblings = node.parent ? tree.get(node.parent).children.map((c) => tree.get(c)) : [];
    const best = tree
      .succeeded()
      .sort((a, b) => tree.utility(b.result!.score) - tree.utility(a.result!.score))
      .slice(0, this.settings.reduction_factor);
    const peers = new Map<string, number>();
    for (const p of [...siblings, ...best]) {
      if (p.id === node.id) continue;
      const at = p.rungs.find((r) => r.rung === rung && r.metric === metric);
      if (at) peers.set(p.id, at.value);
    }
    return [...peers.values()];
  }
}
