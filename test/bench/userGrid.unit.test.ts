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
  const stepped = [...g.steps.values()];
  assert.equal(stepped.length, 1);
  assert.deepEqual(stepped[0].map((s) => s.step), [50, 100]);
});

test('a table that lacks a configuration of the declared grid, or rows without the metric, is refused with the line', () => {
  assert.throws(() => loadUserGrid(copyFixture((rows) => rows.filter((r) => !r.includes('"train.learning_rate": 0.001, "train.epochs": 10')))), /lacks 1 of the declared grid's configurations/);
  assert.throws(() => loadUserGrid(copyFixture((rows) => [...rows.slice(0, 1), rows[1].replace('exact_match', 'accuracy'), ...rows.slice(2)])), /sweep\.jsonl:2\.metrics has no "exact_match"/);
  assert.throws(() => loadUserGrid(copyFixture((rows) => [...rows, rows[0]])), /sweep\.jsonl:6: the same configuration appears twice/);
  assert.throws(() => loadUserGrid(copyFixture((rows) => [...rows, '{"config": {"lr": 1}, "metrics": {"exact_match": 1}}'])), /"lr" is neither a recipe\.\/train\. path/);
  assert.throws(() => loadUserGrid(copyFixture((rows) => [rows[0].replace('"train_s": 11', '"train_s": 11, "steps": [{"step": -1, "metrics": {}}]'), ...rows.slice(1)])), /steps\[0\] needs a non-negative integer "step"/);
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
