// The loader behind `npm run bench -- --grid <dir>`: a trex.yaml and a JSONL of {config, metrics}
// rows become a replayable grid table; a real replayed search runs on it.
import assert from 'node:assert/strict';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { packageRoot } from '../../src/engine';
import { traceSearch } from '../../bench/efficiency';
import { loadUserGrid } from '../../bench/userGrid';
import { tempDir } from '../helpers/cli';

const fixture = join(packageRoot(), 'bench', 'fixtures', 'tiny-grid');

function copyFixture(edit?: (rows: string[]) => string[]): string {
  const dir = join(tempDir('trex-user-grid-'), 'tiny-grid');
  cpSync(fixture, dir, { recursive: true });
  if (edit) {
    const file = join(dir, 'sweep.jsonl');
    writeFileSync(file, edit(readFileSync(file, 'utf8').trim().split('\n')).join('\n') + '\n');
  }
  return dir;
}

test('a folder with trex.yaml and a JSONL sweep loads as a grid table, baseline first', () => {
  const g = loadUserGrid(fixture);
  assert.equal(g.name, 'tiny-grid');
  assert.equal(g.table.runs, 4, 'two knobs of two values');
  assert.equal(g.offGrid, 1, 'the learning rate 0.01 row is off the declared grid');
  assert.equal(g.table.entries[0].score, 0.03, "the baseline's row comes first");
  assert.equal(g.table.entries[0].testScore, 0.02);
  assert.equal(g.table.entries[0].trainMs, 11_000);
  assert.ok(Number.isNaN(g.table.entries.find((e) => e.score === 0.01)!.testScore), 'no test_metrics: no test score');
  assert.deepEqual([...g.table.entries.map((e) => e.score)].sort(), [0.01, 0.03, 0.09, 0.1]);
  assert.equal(g.steps.size, 4, 'every on-grid row carries its evaluations during training');
  const tenEpochs = g.table.entries.find((e) => e.score === 0.1)!;
  assert.equal(tenEpochs.totalSteps, 313);
  assert.deepEqual(tenEpochs.steps, [20, 60, 180, 300].map((step, i) => ({ step, metric: 'exact_match', value: [0.02, 0.04, 0.08, 0.1][i] })));
});

test('a table that lacks a configuration of the declared grid, or rows without the metric, is refused with the line', () => {
  assert.throws(() => loadUserGrid(copyFixture((rows) => rows.filter((r) => !r.includes('"train.learning_rate": 0.001, "train.epochs": 10')))), /lacks 1 of the declared grid's configurations/);
  assert.throws(() => loadUserGrid(copyFixture((rows) => [...rows.slice(0, 1), rows[1].replace('exact_match', 'accuracy'), ...rows.slice(2)])), /sweep\.jsonl:2\.metrics has no "exact_match"/);
  assert.throws(() => loadUserGrid(copyFixture((rows) => [...rows, rows[0]])), /sweep\.jsonl:6: the same configuration appears twice/);
  assert.throws(() => loadUserGrid(copyFixture((rows) => [...rows, '{"config": {"lr": 1}, "metrics": {"exact_match": 1}}'])), /"lr" is neither a recipe\.\/train\. path/);
  assert.throws(() => loadUserGrid(copyFixture((rows) => [rows[0].replace('"steps": [{"step": 20,', '"steps": [{"step": -1,'), ...rows.slice(1)])), /steps\[0\] needs a non-negative integer "step"/);
  assert.throws(() => loadUserGrid(copyFixture((rows) => [rows[0].replace('"total_steps": 94, ', ''), ...rows.slice(1)])), /sweep\.jsonl:1\.total_steps must be a positive integer when the row has steps/);
  assert.throws(() => loadUserGrid(copyFixture((rows) => [rows[0].replace('"total_steps": 94', '"total_steps": 50'), ...rows.slice(1)])), /steps\[2\]\.step 60 is past total_steps 50/);
});

test('the policies replay on a loaded table: four runs find its best configuration', async () => {
  const g = loadUserGrid(fixture);
  for (const policy of ['uct', 'greedy'] as const) {
    const t = await traceSearch(g.specText, g.table, policy, 0, 4);
    assert.equal(t.curve.length, 4);
    assert.equal(t.curve[0], 0, 'run 1 is the baseline');
    assert.equal(t.curve[3], 1, `${policy}: all four configurations ran, so the best was found`);
    assert.equal(t.pickTest, 0.09, "the pick is the best validation row; its test score is the row's");
  }
});

test('with early stopping the replay cuts a run at the rung its evaluations lose, and pays training only up to that step', async () => {
  const g = loadUserGrid(fixture);
  const es = { enabled: true, rungs: 3, reduction_factor: 3, min_steps: 20 };
  const off = await traceSearch(g.specText, g.table, 'uct', 0, 4);
  const on = await traceSearch(g.specText, g.table, 'uct', 0, 4, { early_stopping: es });
  assert.equal(off.stoppedEarly, 0, 'without early stopping every run trains to the end');
  assert.equal(on.stoppedEarly, 2, 'both runs at learning rate 0.001 score 0 at step 20, below the top third of three: stopped there');
  assert.equal(on.points.length, 4, 'a stopped run counts as a run');
  // A stopped run pays its share of training up to the stop (step 20 of 94, of 313); the others their full time.
  const share = (score: number) => {
    const e = g.table.entries.find((x) => x.score === score)!;
    return Math.round((e.trainMs * 20) / e.totalSteps!);
  };
  assert.deepEqual(off.points.map((p) => p.computeMs), [11_000, 46_000, 56_000, 90_000]);
  assert.deepEqual(on.points.map((p) => p.computeMs), [11_000, 46_000, 46_000 + share(0.01), 46_000 + share(0.01) + share(0.09)]);
  assert.deepEqual(on.curve, off.curve, 'the best run was not stopped, so the search found the same best');
});
