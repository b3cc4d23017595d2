// What the next experiments can cost: runs and compute hours left, the time a node takes, and
// which kinds of change are cheap here (prepared data reused when only train.* changes, the
// parent's checkpoint continued when only train.epochs grows).
import type { Experiment } from '../../experiment';
import { searchSettings, type Budget } from '../../spec/types';

const hours = (ms: number) => +(ms / 3_600_000).toFixed(3);
const minutes = (ms: number) => +(ms / 60_000).toFixed(2);

export function runsLeft(exp: Experiment, budget: Budget): number | undefined {
  if (budget.max_runs === undefined) return undefined;
  const tree = exp.tree;
  const inFlight = [...tree.nodes.values()].filter((n) => n.status === 'running' || n.status === 'pending').length;
  return Math.max(0, budget.max_runs - tree.runsSpent() - inFlight);
}

export function describeBudget(exp: Experiment, budget: Budget | undefined): string {
  const tree = exp.tree;
  const b = budget ?? exp.spec.budget ?? {};
  const lines: string[] = [];
  const left = runsLeft(exp, b);
  lines.push(`- Runs: ${tree.runsSpent()} spent${left !== undefined ? `, ${left} left of ${b.max_runs}` : ' (no run limit)'} (your children count against it; reused results are free).`);
  const spentMs = tree.computeMsSpent();
  if (b.max_compute_hours !== undefined) lines.push(`- Compute: ${hours(spentMs)} h spent, ${hours(Math.max(0, b.max_compute_hours * 3_600_000 - spentMs))} h left of ${b.max_compute_hours} h.`);
  else lines.push(`- Compute: ${hours(spentMs)} h spent (no compute limit).`);
  const trained = [...tree.nodes.values()].filter((n) => n.status === 'succeeded' && n.result && !n.result.reusedFrom);
  if (trained.length) {
    const mean = trained.reduce((a, n) => a + n.result!.computeMs, 0) / trained.length;
    const train = trained.map((n) => n.stageMs.train ?? 0);
    lines.push(`- Time per node: ${minutes(mean)} min of compute on average over ${trained.length} run(s) (training ${minutes(train.reduce((a, x) => a + x, 0) / train.length)} min of it).`);
  }
  const reuse = searchSettings(exp.spec).reuse;
  const cheap: string[] = [];
  if (reuse.data_cache) cheap.push('changing only train.* fields reuses the prepared data (no prepare stage)');
  if (reuse.warm_start) {
    cheap.push("raising only train.epochs (with no max_steps) or only train.max_steps continues the parent's checkpoint (micro, or a LoRA/QLoRA adapter; full fine-tuning starts over) and trains just the extra epochs or steps");
  }
  if (reuse.dedupe) cheap.push('a config identical to an existing node is never re-run (it would only copy that result)');
  if (cheap.length) lines.push(`- Cheap changes: ${cheap.join('; ')}.`);
  return lines.join('\n');
}
