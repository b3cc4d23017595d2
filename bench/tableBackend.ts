// Tabular replay of real runs, as tabular HPO/NAS benchmarks do: the grid's every configuration
// really trained once (grid.ts); this backend answers a stage from that table instantly, with the
// real measured stage times, so each policy can be compared over many seeds in seconds. It writes
// the files the executor expects (data stats, metrics.json) and nothing else.
import { MemoryBackend, microStageOutputs } from '../src/engine';
import type { GridEntry } from './grid';

export function tableBackend(dir: string, lookup: (nodeId: string) => GridEntry | undefined, metric: string): MemoryBackend {
  return new MemoryBackend(
    dir,
    (s) => {
      const entry = lookup(s.nodeId);
      if (!entry) return { exitCode: 1, log: `${s.nodeId} is not on the grid\n` };
      const ms = s.stage === 'prepare' ? entry.prepareMs : s.stage === 'train' ? entry.trainMs : entry.evaluateMs;
      return microStageOutputs(s, metric, { validation: entry.score, test: entry.testScore }, ms);
    },
    'table',
  );
}
