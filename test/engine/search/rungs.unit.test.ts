// The rung rule of early stopping: rung placement, top-1/η keeping, min_steps, too few peers, ties, direction.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { metricGoal, rungDecision, rungSteps, type RungInput } from '../../../src/engine/search/rungs';

const base: RungInput = { value: 0.5, step: 20, peers: [], goal: 'maximize', reductionFactor: 3, minSteps: 20 };

test('rungs sit at min_steps × reduction_factor^k', () => {
  assert.deepEqual(rungSteps({ enabled: true, rungs: 3, reduction_factor: 3, min_steps: 20 }), [20, 60, 180]);
  assert.deepEqual(rungSteps({ enabled: true, rungs: 1, reduction_factor: 2, min_steps: 5 }), [5]);
});

test('keeps the top floor(n/η) of the rung and stops the rest', () => {
  // n = 6, η = 3: the top 2 go on; the threshold is the second best value.
  const peers = [0.9, 0.8, 0.3, 0.2, 0.1];
  assert.deepEqual(rungDecision({ ...base, value: 0.5, peers }), { stop: true, threshold: 0.8, kept: 2, of: 6 });
  assert.equal(rungDecision({ ...base, value: 0.85, peers }).stop, false);
  assert.equal(rungDecision({ ...base, value: 0.95, peers }).stop, false);
});

test('never stops before min_steps, nor with fewer values than the reduction factor', () => {
  assert.deepEqual(rungDecision({ ...base, value: 0, step: 19, peers: [0.9, 0.9, 0.9] }), { stop: false, why: 'before min_steps' });
  assert.deepEqual(rungDecision({ ...base, value: 0, peers: [0.9] }), { stop: false, why: 'too few peers' });
  // Exactly η values: only the best goes on.
  assert.deepEqual(rungDecision({ ...base, value: 0, peers: [0.9, 0.1] }), { stop: true, threshold: 0.9, kept: 1, of: 3 });
});

test('a tie with the threshold keeps running', () => {
  assert.equal(rungDecision({ ...base, reductionFactor: 2, value: 0.7, peers: [0.7] }).stop, false);
});

test('for a metric to minimize (a loss), lower is better', () => {
  const r = rungDecision({ ...base, goal: 'minimize', reductionFactor: 2, value: 2.5, peers: [1.2, 3.0, 0.9] });
  assert.deepEqual(r, { stop: true, threshold: 1.2, kept: 2, of: 4 });
  assert.equal(rungDecision({ ...base, goal: 'minimize', reductionFactor: 2, value: 1.0, peers: [1.2, 3.0, 0.9] }).stop, false);
  assert.equal(metricGoal('eval_loss', 'exact_match', 'maximize'), 'minimize');
  assert.equal(metricGoal('exact_match', 'exact_match', 'maximize'), 'maximize');
  assert.equal(metricGoal('perplexity', 'perplexity', 'minimize'), 'minimize');
});
