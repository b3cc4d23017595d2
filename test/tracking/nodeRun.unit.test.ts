// A finished node as a tracker run: tags, flattened config, the per-step log (the trainer's own
// trainer_log.jsonl, else the TREX_PROGRESS lines of the train log) and the final metrics.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { buildNodeRun, Experiment, initExperiment, readExample, stepsFromProgress, stepsFromTrainerLog } from '../../src/engine';
import { tempDir } from '../helpers/cli';

function experiment(): Experiment {
  const dir = tempDir('trex-noderun-');
  initExperiment(dir, readExample('addition').text);
  return Experiment.open(dir);
}

test('the trainer log gives one step per logged row, with every numeric field but the counters', () => {
  const log = ['{"current_steps": 2, "total_steps": 4, "loss": 1.5, "lr": 0.01, "epoch": 0.5, "percentage": 50, "elapsed_time": "0:00:01"}', 'not json', '{"current_steps": 4, "total_steps": 4, "loss": 1.25, "eval_loss": 1.4}', ''].join('\n');
  assert.deepEqual(stepsFromTrainerLog(log), [
    { step: 2, values: { 'train/loss': 1.5, 'train/lr': 0.01, 'train/epoch': 0.5 } },
    { step: 4, values: { 'train/loss': 1.25, 'train/eval_loss': 1.4 } },
  ]);
});

test('without a trainer log, the TREX_PROGRESS lines of the train log are the steps', () => {
  const log = 'starting\nTREX_PROGRESS {"step": 1, "total": 3, "loss": 2.0}\nTREX_PROGRESS {"phase": "saving"}\nTREX_PROGRESS {"step": 3, "total": 3, "loss": 1.0, "epoch": 1}\n';
  assert.deepEqual(stepsFromProgress(log), [
    { step: 1, values: { 'train/loss': 2 } },
    { step: 3, values: { 'train/loss': 1, 'train/epoch': 1 } },
  ]);
});

test('a succeeded node: tags, flattened config, steps from its trainer log, final metrics, plan and folder link', () => {
  const exp = experiment();
  const config = { recipe: exp.spec.baseline.recipe as never, train: exp.spec.baseline.train as never };
  const root = exp.createNode({ parent: null, origin: 'root', title: 'baseline', plan: '# Baseline\n', config, changes: [] });
  const child = exp.createNode({ parent: root, origin: 'proposer', title: 'more epochs', plan: '# More epochs\nTrain longer.\n', config, changes: [{ path: 'train.epochs', from: 3, to: 10 }], proposer: 'offline' });
  mkdirSync(exp.nodePath(child, 'ckpt'), { recursive: true });
  writeFileSync(exp.nodePath(child, 'ckpt', 'trainer_log.jsonl'), '{"current_steps": 5, "loss": 0.5}\n');
  exp.emit({ type: 'node_status', id: child, status: 'running', stage: 'prepare' });
  exp.emit({ type: 'node_result', id: child, result: { score: 0.25, testScore: 0.2, metrics: { validation: { accuracy: 0.25, n: 200 }, test: { accuracy: 0.2 } }, wallMs: 3000, computeMs: 2500, savedMs: 0 } });
  const run = buildNodeRun(exp, exp.tree.get(child), 'greedy');
  const node = exp.tree.get(child);
  assert.equal(run.status, 'succeeded');
  assert.equal(run.runName, `${child} more epochs`);
  assert.equal(run.attempt, String(node.updatedAt));
  assert.equal(run.startMs, node.updatedAt - 3000);
  assert.deepEqual(
    { id: run.tags['trex.node_id'], parent: run.tags['trex.parent'], policy: run.tags['trex.policy'], status: run.tags['trex.status'], changes: run.tags['trex.changes'], proposer: run.tags['trex.proposer'] },
    { id: child, parent: root, policy: 'greedy', status: 'succeeded', changes: 'train.epochs=10', proposer: 'offline' },
  );
  assert.equal(run.params['train.learning_rate'], (exp.spec.baseline.train as Record<string, unknown>).learning_rate);
  assert.equal(run.params['train.framework'], 'micro', 'train defaults are filled in');
  assert.ok(Object.keys(run.params).some((k) => /^recipe\.sources\.0\./.test(k)), 'arrays are flattened by index');
  assert.deepEqual(run.steps, [{ step: 5, values: { 'train/loss': 0.5 } }]);
  assert.deepEqual(run.final, { 'validation/accuracy': 0.25, 'validation/n': 200, 'test/accuracy': 0.2, 'trex/score': 0.25, 'trex/test_score': 0.2, 'trex/compute_s': 2.5, 'trex/wall_s': 3 });
  assert.ok(run.description.startsWith('# More epochs\nTrain longer.'));
  assert.ok(run.description.includes(`Node folder: ${run.nodeUrl}`));
  assert.ok(run.nodeUrl.startsWith('file://') && run.nodeUrl.endsWith(`/nodes/${child}`));
  assert.throws(() => buildNodeRun(exp, exp.tree.get(root), 'greedy'), /has not finished/);
  exp.close();
});
