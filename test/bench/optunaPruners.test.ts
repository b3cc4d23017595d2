// The Optuna side of the early-stopping benchmark (bench/optuna_driver.py, compute mode) with the
// real optuna: a trial reports its evaluations during training, a pruned one pays its training only
// up to the step it was pruned at and gives no final score.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runDriver } from '../../bench/optuna';

// One knob of 12 values; value v scores v/11 and its evaluations during training (steps 20, 40,
// 60 of 100) track the final score, so the median pruner can tell bad trials early.
const rows = Array.from({ length: 12 }, (_, v) => ({
  values: [v],
  score: v / 11,
  recipe: 'same',
  prepare_ms: 1000,
  train_ms: 10_000,
  cost_ms: 12_000,
  total_steps: 100,
  steps: [20, 40, 60].map((step) => [step, (v / 11) * (step / 100)]),
}));

function run(pruner: 'none' | 'median') {
  const input = { mode: 'compute', knobs: [{ path: 'train.x', values: rows.map((r) => r.values[0]) }], rows, baseline: { values: [0], score: 0 }, goal: 'maximize', budget_ms: 1e9, max_runs: 12, seeds: 1, runs: [{ sampler: 'random', pruner }] };
  return (runDriver(input, 'synthetic') as Record<string, [number, number | null][][]>)[`random/${pruner}`][0];
}

test('without a pruner every trial costs a full run; the median pruner cuts worse-than-median trials at their share of training', () => {
  const none = run('none');
  assert.equal(none.length, 12, 'the run limit: every configuration once');
  // Data is prepared once (one recipe), then each run costs its training and evaluation.
  assert.deepEqual(none.map(([ms]) => ms), Array.from({ length: 12 }, (_, i) => 1000 + 12_000 * (i + 1)));
  assert.equal(none[11][1], 1, 'all 12 ran, so the best (11/11) was found');

  const median = run('median');
  const costs = median.map(([ms], i) => ms - (i === 0 ? 1000 : median[i - 1][0]));
  const pruned = costs.filter((c) => c < 12_000);
  assert.ok(pruned.length >= 1, `some trial was pruned (costs ${costs.join(', ')})`);
  for (const c of pruned) assert.ok([2000, 4000, 6000].includes(c), `a pruned trial pays 20, 40 or 60 % of its 10 s of training, not ${c} ms`);
  assert.ok(median[median.length - 1][0] < none[none.length - 1][0], 'pruning spent less on the same number of trials');
});
