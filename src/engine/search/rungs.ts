// The rung rule of early stopping (ASHA-style successive halving), as pure functions: where the
// rungs are, and whether a run's metric at a rung is among the top 1/reduction_factor of the values
// its peers recorded there. The rung monitor (executor/rungMonitor.ts) feeds it live progress.
import type { EarlyStoppingSettings } from '../spec/types';

/** The rungs' steps: min_steps × reduction_factor^k for k < rungs. */
export function rungSteps(s: EarlyStoppingSettings): number[] {
  return Array.from({ length: s.rungs }, (_, k) => s.min_steps * s.reduction_factor ** k);
}

export interface RungInput {
  /** The run's metric at this rung. */
  value: number;
  /** The step the run is at; nothing is stopped before min_steps. */
  step: number;
  /** What the peers recorded at the same rung (the run itself excluded). */
  peers: number[];
  goal: 'maximize' | 'minimize';
  reductionFactor: number;
  minSteps: number;
}

export type RungDecision =
  | { stop: false; why: 'before min_steps' | 'too few peers' | 'in the top'; threshold?: number }
  | { stop: true; threshold: number; kept: number; of: number };

/**
 * Keep the top max(1, floor(n / reduction_factor)) of the n values at the rung (the run and its
 * peers); a run strictly worse than the last kept value stops. With fewer than reduction_factor
 * values there is nothing to halve yet, so nothing stops. Ties keep running.
 */
export function rungDecision(r: RungInput): RungDecision {
  if (r.step < r.minSteps) return { stop: false, why: 'before min_steps' };
  const n = r.peers.length + 1;
  if (n < r.reductionFactor) return { stop: false, why: 'too few peers' };
  const better = (a: number, b: number) => (r.goal === 'maximize' ? b - a : a - b);
  const ranked = [...r.peers, r.value].sort(better);
  const kept = Math.max(1, Math.floor(n / r.reductionFactor));
  const threshold = ranked[kept - 1];
  const worse = r.goal === 'maximize' ? r.value < threshold : r.value > threshold;
  return worse ? { stop: true, threshold, kept, of: n } : { stop: false, why: 'in the top', threshold };
}

/** The direction of an intermediate metric: a loss goes down; the task metric goes the task's way. */
export function metricGoal(name: string, taskMetric: string, taskGoal: 'maximize' | 'minimize'): 'maximize' | 'minimize' {
  if (name === taskMetric) return taskGoal;
  return /loss$/.test(name) ? 'minimize' : taskGoal;
}
