// Progress lines from the trainers: an evaluation during training is read with its metric's name,
// a malformed one is ignored field by field, and the log shows it in words.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeProgress, parseProgressLine, renderProgressLines } from '../../../src/engine/executor/progress';

test('an evaluation during training carries its metric name and value', () => {
  assert.deepEqual(parseProgressLine('TREX_PROGRESS {"step":20,"total":60,"eval_metric":"exact_match","eval_value":0.42}'), { step: 20, total: 60, evalMetric: 'exact_match', evalValue: 0.42 });
  assert.deepEqual(parseProgressLine('TREX_PROGRESS {"step":4,"total":6,"eval_metric":"loss","eval_value":1.25}'), { step: 4, total: 6, evalMetric: 'loss', evalValue: 1.25 });
});

test('an evaluation without a usable name or a finite value is not one', () => {
  assert.deepEqual(parseProgressLine('TREX_PROGRESS {"step":20,"eval_metric":"exact_match","eval_value":"high"}'), { step: 20 });
  assert.deepEqual(parseProgressLine('TREX_PROGRESS {"step":20,"eval_value":0.5}'), { step: 20 });
  assert.deepEqual(parseProgressLine('TREX_PROGRESS {"step":20,"eval_metric":"a b\\u001b[31m","eval_value":0.5}'), { step: 20 });
});

test('the log shows an evaluation in words', () => {
  assert.equal(describeProgress({ step: 20, total: 60, evalMetric: 'exact_match', evalValue: 0.42 }), 'step 20/60 · validation exact_match 0.4200 (during training)');
  assert.equal(renderProgressLines('TREX_PROGRESS {"step":2,"total":6,"eval_metric":"loss","eval_value":1.5}'), '[progress] step 2/6 · validation loss 1.5000 (during training)');
});
