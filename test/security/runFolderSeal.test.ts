// The run folder a node's stages execute (nodes/<id>/run/: task.json, recipe.json, train.json, the
// framework configs) is sealed when the engine renders it: a file changed between the render and
// a stage's start (by an agent command, an earlier stage's script, another process) stops the node
// with the reason instead of running the changed file.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { after, test } from 'node:test';
import { removeScriptedExperiments, scriptedExperiment } from './scriptedBackend';

after(removeScriptedExperiments);

test('control: an untouched run folder runs all three stages', async () => {
  const { exp, id, write, backend, run } = scriptedExperiment();
  const b = backend({ evaluate: write(0.5) });
  assert.equal(await run(b), 'succeeded', JSON.stringify(exp.tree.get(id).failure));
  assert.deepEqual(b.startedStages, ['prepare', 'train', 'evaluate']);
});

test('train.json rewritten while prepare runs: train is not started and the node fails naming the file', async () => {
  const { exp, id, write, backend, run } = scriptedExperiment();
  const trainJson = exp.nodePath(id, 'run', 'train.json');
  const b = backend({
    prepare: () => writeFileSync(trainJson, JSON.stringify({ ...JSON.parse(readFileSync(trainJson, 'utf8')), epochs: 999 })),
    evaluate: write(0.99),
  });
  assert.equal(await run(b), 'failed');
  assert.deepEqual(b.startedStages, ['prepare'], 'no stage starts on the changed file');
  const n = exp.tree.get(id);
  assert.equal(n.failure!.stage, 'train');
  assert.match(n.failure!.reason, /nodes\/n\d+\/run\/train\.json changed after the engine wrote it/);
  assert.equal(n.result, undefined);
});

test('recipe.json or task.json changed, or one removed, before evaluate: evaluate is not started', async () => {
  for (const file of ['recipe.json', 'task.json']) {
    for (const change of ['edit', 'remove'] as const) {
      const { exp, id, write, backend, run } = scriptedExperiment();
      const path = exp.nodePath(id, 'run', file);
      const b = backend({ train: () => (change === 'edit' ? writeFileSync(path, '{"tampered": true}') : rmSync(path)), evaluate: write(0.99) });
      assert.equal(await run(b), 'failed', `${file} ${change}`);
      assert.deepEqual(b.startedStages, ['prepare', 'train'], `${file} ${change}`);
      assert.equal(exp.tree.get(id).failure!.stage, 'evaluate');
      assert.match(exp.tree.get(id).failure!.reason, new RegExp(`run/${file.replace('.', '\\.')} changed`));
      assert.ok(!existsSync(exp.nodePath(id, 'metrics.json')), 'no result');
    }
  }
});

test('running the node again renders the folder afresh and runs', async () => {
  const { exp, id, write, backend, run } = scriptedExperiment();
  const trainJson = exp.nodePath(id, 'run', 'train.json');
  assert.equal(await run(backend({ prepare: () => writeFileSync(trainJson, '{}') })), 'failed');
  assert.equal(await run(backend({ evaluate: write(0.4) })), 'succeeded', JSON.stringify(exp.tree.get(id).failure));
  assert.equal(exp.tree.get(id).result!.score, 0.4);
});
