// Results come only from the evaluate stage (issue 16): a metrics.json written by anything else
// (planted before evaluate ran, written by another stage or an agent command, or changed after
// evaluate exited) is refused with the reason, never turned into a score.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { after, test } from 'node:test';
import { removeScriptedExperiments, scriptedExperiment } from './scriptedBackend';

after(removeScriptedExperiments);

function setup() {
  const s = scriptedExperiment();
  return { ...s, run: (actions: Parameters<typeof s.backend>[0]) => s.run(s.backend(actions)) };
}

test('control: metrics the evaluate stage wrote become the result', async () => {
  const { exp, id, write, run } = setup();
  assert.equal(await run({ evaluate: write(0.5) }), 'succeeded', JSON.stringify(exp.tree.get(id).failure));
  assert.equal(exp.tree.get(id).result!.score, 0.5);
  assert.match(exp.tree.get(id).metricsSha256 ?? '', /^[0-9a-f]{64}$/);
});

test('a metrics.json written by another stage (or an agent command) before evaluate is discarded; evaluate writing none fails the node', async () => {
  const { exp, id, write, run } = setup();
  assert.equal(await run({ train: write(0.987654) }), 'failed');
  const n = exp.tree.get(id);
  assert.equal(n.result, undefined);
  assert.match(n.failure!.reason, /metrics\.json/);
  const again = setup();
  assert.equal(await again.run({ prepare: again.write(0.987654), evaluate: again.write(0.25) }), 'succeeded');
  assert.equal(again.exp.tree.get(again.id).result!.score, 0.25, 'the planted value never counts');
});

test('a metrics.json changed after the evaluate stage exited is refused on resume, with the reason', async () => {
  const { exp, id, metrics, run } = setup();
  const real = metrics(0.3);
  writeFileSync(exp.nodePath(id, 'metrics.json'), real);
  const sha = createHash('sha256').update(real).digest('hex');
  exp.emit({ type: 'node_status', id, status: 'running', stage: 'evaluate' });
  for (const stage of ['prepare', 'train'] as const) exp.emit({ type: 'stage_finished', id, stage, exitCode: 0, wallMs: 1 });
  exp.emit({ type: 'stage_finished', id, stage: 'evaluate', exitCode: 0, wallMs: 1, metricsSha256: sha });
  writeFileSync(exp.nodePath(id, 'metrics.json'), metrics(0.99)); // e.g. an agent or a script after evaluate
  const outcome = await run({});
  assert.equal(outcome, 'failed');
  assert.match(exp.tree.get(id).failure!.reason, /changed after the evaluate stage wrote it/);
  assert.equal(exp.tree.get(id).result, undefined);
});

test('an evaluate stage recorded without provenance (a hand-written log) gives no result', async () => {
  const { exp, id, write, run } = setup();
  write(0.99)();
  exp.emit({ type: 'node_status', id, status: 'running', stage: 'evaluate' });
  for (const stage of ['prepare', 'train', 'evaluate'] as const) exp.emit({ type: 'stage_finished', id, stage, exitCode: 0, wallMs: 1 });
  const outcome = await run({});
  assert.equal(outcome, 'failed');
  assert.match(exp.tree.get(id).failure!.reason, /no record that the evaluate stage wrote it/);
});

test('the event reader refuses a metricsSha256 that is not a sha256 or not on evaluate', () => {
  const { exp, id } = setup();
  const base = { seq: 99, t: 1, type: 'stage_finished', id, exitCode: 0, wallMs: 1 };
  assert.match(exp.tree.check({ ...base, stage: 'train', metricsSha256: 'a'.repeat(64) }) ?? '', /sha256 on an evaluate stage/);
  assert.match(exp.tree.check({ ...base, stage: 'evaluate', metricsSha256: '../x' }) ?? '', /sha256/);
  assert.equal(exp.tree.check({ ...base, stage: 'evaluate', metricsSha256: 'a'.repeat(64) }), null);
});
