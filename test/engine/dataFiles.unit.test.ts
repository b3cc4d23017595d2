// The data-cache key covers the content of every local file and script the recipe reads.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { dataCacheKey, recipeLocalPaths } from '../../src/engine/dataFiles';
import { localDataFiles } from '../../src/engine/frameworks';
import type { JsonObject, TaskSpec } from '../../src/engine/spec/types';
import { tempDir } from '../helpers/tempDir';

const spec = { task: { kind: 'llm', eval_data: { validation: { kind: 'file', path: './val.jsonl' }, test: { kind: 'hf', dataset: 'org/ds' } } } } as unknown as TaskSpec;
const recipe: JsonObject = {
  sources: [{ name: 'a', kind: 'file', path: 'data/a.jsonl' }, { name: 'b', kind: 'file', path: 'https://example.org/b.jsonl' }, { name: 'c', kind: 'file', path: '/srv/shared/c.jsonl' }],
  filters: [{ kind: 'dedup' }, { kind: 'script', path: 'data/step.py' }],
};

test('the recipe reads its file sources, the eval sets and its script steps; URLs are not files', () => {
  assert.deepEqual(recipeLocalPaths(spec, recipe).sort(), ['/srv/shared/c.jsonl', 'data/a.jsonl', 'data/step.py', 'val.jsonl']);
  const ctx = { nodeId: 'n1', runDir: 'nodes/n1/run', dataDir: 'cache/data/x', spec, recipe, train: {} as never };
  assert.deepEqual(localDataFiles(ctx).sort(), ['data/a.jsonl', 'data/step.py', 'val.jsonl'], 'what travels to a remote host');
});

test('the data-cache key changes with a file\'s content, not with the recipe alone', () => {
  const dir = tempDir();
  mkdirSync(join(dir, 'data'));
  writeFileSync(join(dir, 'data', 'a.jsonl'), '{"x":1}\n');
  writeFileSync(join(dir, 'data', 'step.py'), 'print(1)\n');
  const k1 = dataCacheKey(dir, spec, recipe, 'r1');
  assert.equal(dataCacheKey(dir, spec, recipe, 'r1'), k1, 'stable while nothing changes');
  assert.notEqual(dataCacheKey(dir, spec, recipe, 'r2'), k1, 'a different recipe hash');
  writeFileSync(join(dir, 'data', 'step.py'), 'print(2)\n'); // same size, new content
  const k2 = dataCacheKey(dir, spec, recipe, 'r1');
  assert.notEqual(k2, k1);
  writeFileSync(join(dir, 'data', 'a.jsonl'), '{"x":2}\n');
  assert.notEqual(dataCacheKey(dir, spec, recipe, 'r1'), k2, 'a changed data file too');
  writeFileSync(join(dir, 'data', 'a.jsonl'), '{"x":1}\n');
  writeFileSync(join(dir, 'data', 'step.py'), 'print(1)\n');
  assert.equal(dataCacheKey(dir, spec, recipe, 'r1'), k1, 'the same content gives the same key again');
});
