// Tabular replay of real runs, as tabular HPO/NAS benchmarks do: the grid's every configuration
// really trained once (grid.ts); this backend answers a stage from that table instantly, with the
// real measured stage times, so each policy can be compared over many seeds in seconds. It writes
// the files the executor expects (data stats, metrics.json) and nothing else. With `steps`, a train
// stage also replays the run's evaluations during training as progress lines at their share of the
// training time, so early stopping cuts the run (and its compute) where a live run would be cut.
import { MemoryBackend, microStageOutputs, type MemoryStageAnswer } from '../src/engine';
import type { GridEntry } from './grid';

export function tableBackend(dir: string, lookup: (nodeId: string) => GridEntry | undefined, metric: string, opts: { steps?: boolean } = {}): MemoryBackend {
  return new MemoryBackend(
    dir,
    (s) => {
      const entry = lookup(s.nodeId);
      if (!entry) return { exitCode: 1, log: `${s.nodeId} is not on the grid\n` };
      const ms = s.stage === 'prepare' ? entry.prepareMs : s.stage === 'train' ? entry.trainMs : entry.evaluateMs;
      const answer = microStageOutputs(s, metric, { validation: entry.score, test: entry.testScore }, ms);
      return s.stage === 'train' && opts.steps ? { ...answer, timeline: evaluationTimeline(entry) } : answer;
    },
    'table',
  );
}

/** The run's evaluations during training as the trainer prints them, at step / totalSteps of its training time. */
export function evaluationTimeline(entry: GridEntry): NonNullable<MemoryStageAnswer['timeline']> {
  const total = entry.totalSteps;
  if (!entry.steps || !total) return [];
  return entry.steps.map((s) => ({
    atMs: Math.round((entry.trainMs * s.step) / total),
    log: `TREX_PROGRESS ${JSON.stringify({ step: s.step, total, eval_metric: s.metric, eval_value: s.value })}\n`,
  }));
}
