// `trex export`: the bundle's own commands, run by hand without TREX, reproduce the node's metric.
// A real micro node is trained through the engine, exported with the CLI, and run.sh is run with
// the same Python; the bundle's metrics.json must match the node's score within the metric's noise.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Experiment, initExperiment, LocalBackend, NodeExecutor, readExample } from '../../src/engine';
import { ROOT, tempDir, trex } from '../helpers/cli';

const PYTHON = process.env.TREX_PYTHON ?? '/usr/bin/python3';
const CACHE = process.env.TREX_CACHE ?? join(ROOT, '.trex-cache');

test('an exported micro node reproduces its score when its run.sh is run by hand', async () => {
  const dir = tempDir('trex-export-');
  // A small, quick baseline of the addition task.
  const spec = readExample('addition')
    .text.replace('evaluation: {validation_size: 200, test_size: 300, seed: 1234}', 'evaluation: {validation_size: 100, test_size: 100, seed: 1234}')
    .replace('num_examples: 1000,', 'num_examples: 300,')
    .replace('epochs: 3, max_steps: null', 'epochs: 1, max_steps: 20');
  initExperiment(dir, spec);
  const exp = Experiment.open(dir);
  const id = exp.createNode({ parent: null, origin: 'root', title: 'baseline', plan: '# baseline\n', config: { recipe: exp.spec.baseline.recipe as never, train: exp.spec.baseline.train as never }, changes: [] });
  const backend = new LocalBackend({ experimentDir: dir, runnerDir: join(ROOT, 'trainer'), python: PYTHON, cacheDir: CACHE });
  const outcome = await new NodeExecutor(exp, backend, { reuse: { dedupe: true, data_cache: true, warm_start: false }, threads: 1 }).run(id, new AbortController().signal);
  assert.equal(outcome, 'succeeded', exp.tree.get(id).failure?.reason);
  const score = exp.tree.get(id).result!.score;
  exp.close();

  const out = join(tempDir('trex-export-out-'), 'bundle');
  const r = trex(['export', dir, id, out]);
  assert.equal(r.code, 0, r.stderr);
  for (const f of ['run.sh', 'README.md', 'trex.yaml', `nodes/${id}/recipe.yaml`, `nodes/${id}/train.yaml`, `nodes/${id}/run/train.json`, 'trainer/trex_micro.py', 'trainer/trex_protocol/files.py', 'trainer/requirements.txt']) assert.ok(existsSync(join(out, f)), `${f} is in the bundle`);
  const readme = readFileSync(join(out, 'README.md'), 'utf8');
  assert.match(readme, new RegExp(`exact_match \\(validation, used for selection\\): ${score.toFixed(4)}`));
  assert.match(readme, /## Lineage/);

  // Run by hand: no TREX involved, only the bundle and a Python with torch.
  const run = spawnSync('bash', [join(out, 'run.sh')], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PYTHON, CACHE, TREX_THREADS: '1', OMP_NUM_THREADS: '1' }, timeout: 600_000 });
  assert.equal(run.status, 0, `${run.stdout.slice(-2000)}\n${run.stderr.slice(-2000)}`);
  assert.deepEqual(readdirSync(out).filter((f) => f.includes('CACHE') || f === '.cache'), [], 'the base model came from $CACHE, not a new cache folder');
  const metrics = JSON.parse(readFileSync(join(out, 'nodes', id, 'metrics.json'), 'utf8')) as { validation: Record<string, number> };
  const again = metrics.validation.exact_match;
  // Same seed and thread count: the same score, up to the metric's sampling noise at n=100.
  const se = Math.sqrt(Math.max(score * (1 - score), 0.01) / 100);
  assert.ok(Math.abs(again - score) <= 2 * se, `bundle ${again} vs node ${score} (2 SE = ${(2 * se).toFixed(3)})`);
});

test('export refuses a non-empty target, a folder inside the experiment, and --format on a micro task', () => {
  const dir = tempDir('trex-export-bad-');
  initExperiment(dir, readExample('addition').text);
  const exp = Experiment.open(dir);
  const id = exp.createNode({ parent: null, origin: 'root', title: 'baseline', plan: '# baseline\n', config: { recipe: exp.spec.baseline.recipe as never, train: exp.spec.baseline.train as never }, changes: [] });
  exp.close();
  const inside = trex(['export', dir, id, join(dir, 'bundle')]);
  assert.notEqual(inside.code, 0);
  assert.match(inside.stderr, /outside the experiment/);
  const format = trex(['export', dir, id, join(tempDir(), 'b'), '--format', 'trl']);
  assert.notEqual(format.code, 0);
  assert.match(format.stderr, /micro trainer; --format applies to llm tasks/);
  const badFormat = trex(['export', dir, id, join(tempDir(), 'b'), '--format', 'keras']);
  assert.equal(badFormat.code, 2);
  const full = tempDir();
  trex(['export', dir, id, join(full, 'x')]);
  const again = trex(['export', dir, id, join(full, 'x')]);
  assert.notEqual(again.code, 0);
  assert.match(again.stderr, /not empty/);
});
