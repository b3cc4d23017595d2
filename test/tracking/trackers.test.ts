// Every finished node of a real micro search is logged to MLflow (a real `mlflow server` on
// loopback, read back through its REST API), W&B (offline runs, read back with the wandb package)
// and TensorBoard (event files, read back with EventAccumulator); a tracker that is down fails no
// node, and logging catches up once it is back.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parse, stringify } from 'yaml';
import { Experiment, openTracking, TRACKING_LOG, type TreeNode } from '../../src/engine';
import { tempDir, trex } from '../helpers/cli';
import { freePort, mlflowHistory, mlflowRuns, readBack, startMlflow, trackingPython, type MlflowServer } from './servers';

const py = trackingPython();
const skip = 'missing' in py ? py.missing : false;
const python = 'python' in py ? py.python : '';
const servers: MlflowServer[] = [];

after(async () => {
  for (const s of servers) await s.stop();
});

/** A micro experiment with short training and the given `tracking:` section. */
function newExperiment(tracking: object): string {
  const dir = join(tempDir(), 'addition');
  const r = trex(['init', dir, '--from', 'addition']);
  assert.equal(r.code, 0, r.stderr);
  const specPath = join(dir, 'trex.yaml');
  const spec = parse(readFileSync(specPath, 'utf8')) as { baseline: { train: Record<string, unknown> }; tracking?: object };
  spec.baseline.train.max_steps = 40;
  spec.tracking = tracking;
  writeFileSync(specPath, stringify(spec));
  return dir;
}

function finishedNodes(dir: string): { exp: Experiment; nodes: TreeNode[] } {
  const exp = Experiment.open(dir, { readOnly: true });
  return { exp, nodes: [...exp.tree.nodes.values()].filter((n) => n.status === 'succeeded' || n.status === 'failed') };
}

/** The node's own per-step log: (step, loss) from ckpt/trainer_log.jsonl. */
function trainerLoss(exp: Experiment, id: string): { step: number; value: number }[] {
  const path = exp.nodePath(id, 'ckpt', 'trainer_log.jsonl');
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as { current_steps: number; loss: number })
    .map((r) => ({ step: r.current_steps, value: r.loss }));
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

const close = (a: number, b: number) => Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(b));

interface WandbRun {
  id: string;
  project: string;
  name: string;
  group: string;
  tags: string[];
  notes: string;
  config: Record<string, unknown> & { trex: Record<string, string> };
  history: Record<string, number>[];
  summary: Record<string, number | string>;
  exit_code: number | null;
}
type TbNode = { scalars: Record<string, [number, number][]>; texts: Record<string, string>; plugins: string[] };

test('a micro search is logged to MLflow, W&B (offline) and TensorBoard, node by node', { skip }, async () => {
  const mlflow = await startMlflow(python, tempDir('trex-mlflow-'), await freePort());
  servers.push(mlflow);
  const dir = newExperiment({ mlflow: { tracking_uri: mlflow.uri, experiment: 'addition-trex' }, wandb: { project: 'trex-addition', mode: 'offline' }, tensorboard: {} });
  const run = trex(['run', dir, '--budget', '3', '--policy', 'uct', '--seed', '1'], { TREX_TRACKING_PYTHON: python, WANDB_MODE: 'offline' });
  assert.equal(run.code, 0, `stdout:\n${run.stdout}\nstderr:\n${run.stderr}`);
  const { exp, nodes } = finishedNodes(dir);
  assert.ok(nodes.length >= 3, `three training runs finished: ${nodes.map((n) => n.id).join(' ')}`);
  assert.ok(!existsSync(join(dir, TRACKING_LOG)), 'no tracker failed');
  const metric = exp.spec.metric.name;

  // MLflow, through its REST API.
  const runs = await mlflowRuns(mlflow.uri, 'addition-trex');
  assert.equal(runs.length, nodes.length, 'one MLflow run per finished node');
  for (const n of nodes) {
    const r = runs.find((x) => x.data.tags?.some((t) => t.key === 'trex.node_id' && t.value === n.id));
    assert.ok(r, `${n.id} has a run`);
    const tags = Object.fromEntries((r.data.tags ?? []).map((t) => [t.key, t.value]));
    assert.equal(tags['trex.parent'], n.parent ?? '');
    assert.equal(tags['trex.policy'], 'uct');
    assert.equal(tags['trex.status'], n.status);
    assert.equal(r.info.status, n.status === 'succeeded' ? 'FINISHED' : 'FAILED');
    assert.equal(r.info.run_name, `${n.id} ${n.title}`);
    const plan = readFileSync(exp.nodePath(n.id, 'plan.md'), 'utf8').trim();
    assert.ok(tags['mlflow.note.content'].startsWith(plan), 'the plan is the run description');
    assert.match(tags['mlflow.note.content'], new RegExp(`Node folder: file://.*/nodes/${n.id}`));
    assert.equal(tags['trex.node_dir'], exp.nodeDir(n.id));
    const params = Object.fromEntries((r.data.params ?? []).map((p) => [p.key, p.value]));
    const train = parse(readFileSync(exp.nodePath(n.id, 'train.yaml'), 'utf8')) as Record<string, unknown>;
    assert.equal(params['train.learning_rate'], String(train.learning_rate));
    assert.equal(params['train.epochs'], String(train.epochs));
    assert.ok(Object.keys(params).some((k) => k.startsWith('recipe.')), 'the recipe is in the parameters');
    if (n.result) {
      const val = r.data.metrics?.find((m) => m.key === `validation/${metric}`);
      assert.ok(val && close(val.value, n.result.score), `validation/${metric} is the node's score`);
      const loss = trainerLoss(exp, n.id);
      if (!n.result.reusedFrom) {
        assert.ok(loss.length > 0, `${n.id} trained and logged its loss`);
        assert.deepEqual(await mlflowHistory(mlflow.uri, r.info.run_id, 'train/loss'), loss, 'the per-step loss is the trainer log');
      }
    }
  }

  // W&B offline runs, read with the wandb package.
  const wandbRuns = readBack<WandbRun[]>(python, 'wandb', join(dir, '.trex', 'wandb'));
  assert.equal(wandbRuns.length, nodes.length, 'one W&B run per finished node');
  for (const n of nodes) {
    const w = wandbRuns.find((x) => x.config.trex?.node_id === n.id);
    assert.ok(w, `${n.id} has a W&B run`);
    assert.equal(w.project, 'trex-addition');
    assert.equal(w.group, exp.spec.name);
    assert.ok(w.tags.includes(`node:${n.id}`) && w.tags.includes('policy:uct') && w.tags.includes(`status:${n.status}`));
    if (n.parent) assert.ok(w.tags.includes(`parent:${n.parent}`));
    assert.equal(w.config.trex.parent, n.parent ?? '');
    assert.ok(w.notes.startsWith(readFileSync(exp.nodePath(n.id, 'plan.md'), 'utf8').trim()));
    assert.equal(w.exit_code, n.status === 'succeeded' ? 0 : 1);
    const train = parse(readFileSync(exp.nodePath(n.id, 'train.yaml'), 'utf8')) as Record<string, unknown>;
    assert.equal(w.config['train.learning_rate'], train.learning_rate);
    if (n.result) {
      assert.ok(close(Number(w.summary[`validation/${metric}`]), n.result.score));
      if (!n.result.reusedFrom) {
        const logged = w.history.filter((h) => 'train/loss' in h).map((h) => ({ step: h._step, value: h['train/loss'] }));
        assert.deepEqual(logged, trainerLoss(exp, n.id));
      }
    }
  }

  // TensorBoard event files, one folder per node, read with EventAccumulator.
  const tb = readBack<Record<string, TbNode>>(python, 'tensorboard', join(dir, '.trex', 'tensorboard'));
  assert.deepEqual(Object.keys(tb).sort(), nodes.map((n) => n.id).sort());
  for (const n of nodes) {
    const t = tb[n.id];
    assert.ok(t.plugins.includes('hparams'), 'the config is logged as hparams');
    assert.ok(t.texts['trex/plan'].startsWith(readFileSync(exp.nodePath(n.id, 'plan.md'), 'utf8').trim()));
    assert.match(t.texts['trex/node'], new RegExp(`trex.status \\| ${n.status}`));
    if (n.result) {
      const val = t.scalars[`validation/${metric}`];
      assert.ok(val && Math.abs(val[0][1] - n.result.score) < 1e-5);
      if (!n.result.reusedFrom) {
        const loss = trainerLoss(exp, n.id);
        assert.deepEqual(t.scalars['train/loss'].map(([step]) => step), loss.map((l) => l.step));
        t.scalars['train/loss'].forEach(([, v], i) => assert.ok(Math.abs(v - loss[i].value) < 1e-4));
      }
    }
  }
  exp.close();

  // A node that fails is a failed run, with the stage and the reason; the rest is not logged again.
  const live = Experiment.open(dir);
  const root = live.tree.root!;
  const failed = live.createNode({ parent: root, origin: 'fork', title: 'broken run', plan: '# Broken\n', config: live.readNodeConfig(root), changes: [] });
  live.emit({ type: 'node_status', id: failed, status: 'running', stage: 'train' });
  live.emit({ type: 'node_failed', id: failed, stage: 'train', reason: 'exit code 1: out of memory', logTail: '' });
  const observer = openTracking(live, { policy: 'uct', env: { ...process.env, TREX_TRACKING_PYTHON: python, WANDB_MODE: 'offline' } });
  await observer!.idle();
  await observer!.close();
  live.close();
  const after = await mlflowRuns(mlflow.uri, 'addition-trex');
  assert.equal(after.length, nodes.length + 1, 'only the new node was logged');
  const f = after.find((r) => r.data.tags?.some((x) => x.key === 'trex.node_id' && x.value === failed))!;
  const ftags = Object.fromEntries((f.data.tags ?? []).map((x) => [x.key, x.value]));
  assert.equal(f.info.status, 'FAILED');
  assert.equal(ftags['trex.status'], 'failed');
  assert.equal(ftags['trex.failed_stage'], 'train');
  assert.equal(ftags['trex.failure'], 'exit code 1: out of memory');
  const fw = readBack<WandbRun[]>(python, 'wandb', join(dir, '.trex', 'wandb')).filter((w) => w.config.trex?.node_id === failed);
  assert.equal(fw.length, 1);
  assert.equal(fw[0].exit_code, 1);
  assert.ok(fw[0].tags.includes('status:failed'));
  const ftb = readBack<Record<string, TbNode>>(python, 'tensorboard', join(dir, '.trex', 'tensorboard'))[failed];
  assert.match(ftb.texts['trex/node'], /trex.failure \| exit code 1: out of memory/);
});

test('an MLflow server that is down fails no node; logging catches up once it answers', { skip }, async () => {
  const port = await freePort();
  const uri = `http://127.0.0.1:${port}`;
  const dir = newExperiment({ mlflow: { tracking_uri: uri, experiment: 'late-server' } });
  // The user's own server, with a token in the environment: it must never land in a file or the output.
  const token = 'tok-never-written-0123456789';
  const run = trex(['run', dir, '--budget', '2', '--seed', '2'], { MLFLOW_TRACKING_URI: uri, MLFLOW_TRACKING_TOKEN: token });
  assert.equal(run.code, 0, `stdout:\n${run.stdout}\nstderr:\n${run.stderr}`);
  assert.match(run.stdout, /mlflow: n\d{4} not logged: .*Nodes are not affected; logging is retried/);
  assert.ok(!run.stdout.includes(token) && !run.stderr.includes(token));
  for (const f of filesUnder(dir)) assert.ok(!readFileSync(f).includes(token), `${f} holds no token`);
  const { exp, nodes } = finishedNodes(dir);
  assert.ok(nodes.length >= 2 && nodes.every((n) => n.status === 'succeeded'), 'every node succeeded with the tracker down');
  const log = readFileSync(join(dir, TRACKING_LOG), 'utf8');
  assert.match(log, /mlflow: n\d{4} not logged: fetch failed \(connect ECONNREFUSED/);

  // A later session: the tracker is still down when it opens, retries, and catches up once the server answers.
  const notices: string[] = [];
  const observer = openTracking(exp, { policy: 'uct', env: process.env, retryMs: 200, maxRetryMs: 1000, onNotice: (m) => notices.push(m) });
  assert.ok(observer);
  // The server starts only after this session's first attempt has failed.
  while (notices.length === 0) await new Promise((r) => setTimeout(r, 100));
  assert.match(notices[0], /not logged/);
  const mlflow = await startMlflow(python, tempDir('trex-mlflow-'), port);
  servers.push(mlflow);
  await observer.idle();
  await observer.close();
  assert.ok(notices.some((m) => /logging works again/.test(m)), notices.join('\n'));
  const runs = await mlflowRuns(mlflow.uri, 'late-server');
  assert.deepEqual(runs.map((r) => r.data.tags?.find((t) => t.key === 'trex.node_id')?.value).sort(), nodes.map((n) => n.id).sort(), 'every node is logged once');
  assert.ok(runs.every((r) => r.info.status === 'FINISHED'));

  // Logged nodes are remembered: a further session logs nothing twice.
  const again = openTracking(exp, { policy: 'uct', env: process.env });
  await again!.idle();
  await again!.close();
  assert.equal((await mlflowRuns(mlflow.uri, 'late-server')).length, nodes.length);
  exp.close();
});
