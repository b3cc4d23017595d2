// Hostile text reaching the experiment's records: a failure reason or an Executor record that
// echoes a secret is written redacted; a run folder rewritten between the engine's render and a
// stage's start is refused.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { appendExecutorRecord } from '../../../src/engine/llm/executorAgent/records';
import { newExperiment } from '../../engine/llm/helpers';
import { scriptedExperiment } from '../scriptedBackend';
import { assertNoSecretUnder, SECRETS, withPlantedSecrets } from './common';
import { hostile } from './table';

hostile('secrets in records', 'a stage failure reason that echoes the key and a token reaches tree.jsonl redacted', () =>
  withPlantedSecrets(() => {
    const exp = newExperiment();
    exp.emit({ type: 'node_failed', id: 'n0000', stage: 'train', reason: `401 for Bearer ${SECRETS.OPENAI_API_KEY}; GITHUB_TOKEN=${SECRETS.GITHUB_TOKEN}`, logTail: SECRETS.AWS_SECRET_ACCESS_KEY });
    assert.match(readFileSync(join(exp.dir, 'tree.jsonl'), 'utf8'), /\[REDACTED\]/);
    assert.ok(!exp.tree.get('n0000').failure!.reason.includes(SECRETS.OPENAI_API_KEY), 'in memory too');
    assertNoSecretUnder(exp.dir);
  }),
);

hostile('secrets in records', 'an Executor record that echoes secret values reaches executor.jsonl redacted', () =>
  withPlantedSecrets(() => {
    const exp = newExperiment();
    appendExecutorRecord(exp, 'n0000', { kind: 'tool', args: { argv: ['cat', SECRETS.TREX_LLM_API_KEY] }, output: `env: AWS_SECRET_ACCESS_KEY=${SECRETS.AWS_SECRET_ACCESS_KEY}` });
    assert.match(readFileSync(exp.nodePath('n0000', 'executor.jsonl'), 'utf8'), /\[REDACTED\]/);
    assertNoSecretUnder(exp.dir);
  }),
);

hostile('run folder', 'train.json rewritten between the render and the train stage is not run', async () => {
  const { exp, id, write, backend, run } = scriptedExperiment();
  const b = backend({ prepare: () => writeFileSync(exp.nodePath(id, 'run', 'train.json'), '{"epochs": 1000000}'), evaluate: write(0.99) });
  assert.equal(await run(b), 'failed');
  assert.deepEqual(b.startedStages, ['prepare']);
  assert.match(exp.tree.get(id).failure!.reason, /train\.json changed after the engine wrote it/);
  assert.equal(exp.tree.get(id).result, undefined);
});
