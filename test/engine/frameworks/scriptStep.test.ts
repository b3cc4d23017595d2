// A `script` recipe step through the engine on the local backend: the tiny Llama node's prepared
// data shows the script's effect, its stats and isolation are recorded, and changing only the
// script's content (recipe unchanged) gives a new data-cache key and a freshly prepared dataset.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { NodeExecutor } from '../../../src/engine/executor/executor';
import { dataCacheKey } from '../../../src/engine/dataFiles';
import { recipeHash } from '../../../src/engine/experiment';
import { LocalBackend, type Experiment, type JsonObject } from '../../../src/engine';
import { ROOT } from '../../helpers/cli';
import { ENV, experiment, PYTHON, SKIP, TRAIN } from './realHelpers';
import { markingScript, SCRIPT } from './scriptHelpers';


async function runNode(exp: Experiment, id: string, dedupe = false): Promise<void> {
  const backend = new LocalBackend({ experimentDir: exp.dir, runnerDir: join(ROOT, 'trainer'), python: PYTHON, cacheDir: join(exp.dir, '.cache') });
  const executor = new NodeExecutor(exp, backend, { reuse: { dedupe, data_cache: true, warm_start: false }, threads: 1, pollMs: 50, env: { ...ENV, HF_HOME: join(exp.dir, '.hf') } });
  const outcome = await executor.run(id, new AbortController().signal);
  assert.equal(outcome, 'succeeded', exp.tree.get(id).failure?.reason);
}

function trainUsers(dir: string): string[] {
  return readFileSync(join(dir, 'train.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { messages: { role: string; content: string }[] }).messages.find((m) => m.role === 'user')?.content ?? '');
}

test('a script step runs in prepare on the local backend; a changed script re-prepares under a new cache key', { skip: SKIP, timeout: 900_000 }, async () => {
  const { exp, id: base } = experiment({ framework: 'hf', ...TRAIN, max_steps: 2 }, { files: { [SCRIPT]: markingScript('v1') } });
  const baseConfig = exp.readNodeConfig(base);
  const recipe: JsonObject = { ...baseConfig.recipe, filters: [{ kind: 'dedup' }, { kind: 'script', path: SCRIPT, timeout_s: 120 }] };
  const config = { recipe, train: baseConfig.train };
  const n1 = exp.createNode({ parent: base, origin: 'fork', title: 'script v1', plan: '# script\n', config, changes: [{ path: 'recipe.filters', from: baseConfig.recipe.filters, to: recipe.filters }] });
  await runNode(exp, n1);
  const key1 = dataCacheKey(exp.dir, exp.spec, recipe, recipeHash(exp.spec, recipe));
  const users1 = trainUsers(join(exp.dir, 'cache', 'data', key1));
  assert.ok(users1.includes('REVIEW: MADE BY V1'), 'the added example is in the prepared data');
  assert.ok(users1.every((u) => u === u.toUpperCase()), 'every prompt went through the script');
  const stats = JSON.parse(readFileSync(exp.nodePath(n1, 'data_stats.json'), 'utf8')) as { by_source: Record<string, number>; steps: { path: string; rows_out: number; rows_in: number; isolation: string; sha256: string }[] };
  assert.equal(stats.by_source.v1, 1);
  assert.equal(stats.steps[0].path, SCRIPT);
  assert.equal(stats.steps[0].rows_out, stats.steps[0].rows_in + 1);
  const log = readFileSync(exp.nodePath(n1, 'logs', 'prepare.log'), 'utf8');
  assert.match(log, new RegExp(`script step ${SCRIPT}: isolation ${stats.steps[0].isolation}`), 'the stage log says which isolation applied');

  // Same recipe, new script content: the recipe hash is unchanged but the data is prepared again.
  writeFileSync(join(exp.dir, SCRIPT), markingScript('v2'));
  const key2 = dataCacheKey(exp.dir, exp.spec, recipe, recipeHash(exp.spec, recipe));
  assert.notEqual(key2, key1);
  const n2 = exp.createNode({ parent: base, origin: 'fork', title: 'script v2', plan: '# script\n', config, changes: [{ path: 'recipe.filters', from: baseConfig.recipe.filters, to: recipe.filters }] });
  assert.equal(exp.tree.get(n2).recipeHash, exp.tree.get(n1).recipeHash, 'the recipe itself did not change');
  assert.equal(exp.tree.get(n1).result?.dataKey, key1, 'the result records the data it was trained on');
  // Dedupe on: n2's config equals n1's, but its data does not, so n1's result is not reused.
  await runNode(exp, n2, true);
  assert.equal(exp.tree.get(n2).result?.reusedFrom, undefined, 'same config on changed data is new work');
  assert.equal(exp.tree.get(n2).result?.dataKey, key2);
  assert.equal(typeof exp.tree.get(n2).stageMs.prepare, 'number', 'prepare ran, not served from the cache');
  assert.match(readFileSync(exp.nodePath(n2, 'logs', 'prepare.log'), 'utf8'), /script step data\/mark\.py: 64 rows in, 65 out/);
  const users2 = trainUsers(join(exp.dir, 'cache', 'data', key2));
  assert.ok(users2.includes('REVIEW: MADE BY V2') && !users2.includes('REVIEW: MADE BY V1'));
  assert.ok(trainUsers(join(exp.dir, 'cache', 'data', key1)).includes('REVIEW: MADE BY V1'), 'the old data stays under its own key');
  assert.ok(readdirSync(join(exp.dir, 'cache', 'data')).length >= 2);
});
