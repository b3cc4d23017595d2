// Which trackers a search logs to: trex.yaml's `tracking:`, the editor's trex.tracking.* on top,
// and MLflow credentials only for a server the user named. The CLI and the editor open the same
// trackers for the same trex.yaml.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseArgs } from '../../src/cli/args';
import { searchRequestFromFlags } from '../../src/cli/runRequest';
import { buildNodeRun, createTrackers, Experiment, initExperiment, openSearchSession, readExample, resolveTracking } from '../../src/engine';
import { searchRequestFromSettings } from '../../src/extension/search/sessionRequest';
import { readTrackingSettings } from '../../src/extension/search/trackingSettings';
import type { TrexSettings } from '../../src/extension/settings';
import { tempDir } from '../helpers/cli';

const NO_SETTINGS: TrexSettings = { llmEndpoint: '', researcherModel: '', analystModel: '', defaultPolicy: '', parallelSlots: 0, computeBackend: '', remoteWorkDir: '', python: '', logMaxBytesShown: 1 << 20, followSearchLogs: false, tracking: {} };
const spec = readExample('addition').text;
const specWith = (tracking: string) => `${spec}\ntracking:\n${tracking}`;

function experiment(text: string): Experiment {
  const dir = tempDir('trex-tracking-');
  initExperiment(dir, text);
  return Experiment.open(dir);
}

test('no tracking: section and no settings: no trackers', () => {
  const exp = experiment(spec);
  assert.equal(resolveTracking(exp.spec, exp.dir, {}, {}), undefined);
  exp.close();
});

test("trex.yaml's tracking: is resolved against the experiment, with the task's name as the default experiment/project", () => {
  const exp = experiment(specWith('  mlflow: {tracking_uri: "http://127.0.0.1:5000/"}\n  wandb: {mode: offline}\n  tensorboard: {log_dir: tb}\n'));
  const t = resolveTracking(exp.spec, exp.dir, {}, { MLFLOW_TRACKING_TOKEN: 'tok-123456', TREX_TRACKING_PYTHON: '/opt/py/bin/python' });
  assert.deepEqual(t, {
    python: '/opt/py/bin/python',
    mlflow: { uri: 'http://127.0.0.1:5000', experiment: exp.spec.name, trusted: false },
    wandb: { project: exp.spec.name, entity: undefined, mode: 'offline', dir: join(exp.dir, '.trex', 'wandb') },
    tensorboard: { logDir: join(exp.dir, 'tb') },
  });
  exp.close();
});

test("tensorboard.framework_logs is validated as a boolean and tells the tracker where the frameworks' event files are", () => {
  const exp = experiment(specWith('  tensorboard: {framework_logs: true}\n'));
  assert.deepEqual(resolveTracking(exp.spec, exp.dir, {}, {})?.tensorboard, { logDir: join(exp.dir, '.trex', 'tensorboard'), frameworkRuns: 'run/tensorboard' });
  exp.close();
  assert.throws(() => initExperiment(tempDir('trex-tracking-'), specWith('  tensorboard: {framework_logs: "yes"}\n')), /framework_logs/);
});

test("trex.yaml's tracker folders stay inside the experiment, and it cannot pick the Python that runs", () => {
  for (const bad of ['/tmp/elsewhere', '../outside', '.']) {
    const exp = experiment(specWith(`  tensorboard: {log_dir: "${bad}"}\n`));
    assert.throws(() => resolveTracking(exp.spec, exp.dir, {}, {}), /must be a folder inside the experiment/);
    exp.close();
  }
  const dir = tempDir('trex-tracking-');
  assert.throws(() => initExperiment(dir, specWith('  tensorboard: {}\n  python: /tmp/evil\n')), /python/);
});

test('MLflow credentials go only to a server the user named (MLFLOW_TRACKING_URI or the setting), never to one a folder names', () => {
  const exp = experiment(specWith('  mlflow: {tracking_uri: "http://127.0.0.1:5000"}\n'));
  assert.equal(resolveTracking(exp.spec, exp.dir, {}, { MLFLOW_TRACKING_URI: 'http://127.0.0.1:5000/' })?.mlflow?.trusted, true);
  assert.equal(resolveTracking(exp.spec, exp.dir, {}, { MLFLOW_TRACKING_URI: 'http://127.0.0.1:6000' })?.mlflow?.trusted, false);
  assert.equal(resolveTracking(exp.spec, exp.dir, { mlflowTrackingUri: 'http://10.0.0.5:5000' }, {})?.mlflow?.trusted, true);
  exp.close();
});

test('the editor settings add trackers and override trex.yaml field by field; W&B mode falls back to $WANDB_MODE', () => {
  const exp = experiment(specWith('  wandb: {project: from-yaml, entity: team}\n'));
  const settings = readTrackingSettings({ get: <T>(key: string, d: T): T => (({ 'tracking.tensorboard': true, 'tracking.wandbProject': 'from-settings', 'tracking.mlflowTrackingUri': ' ' }) as Record<string, unknown>)[key] as T ?? d });
  assert.deepEqual(settings, { mlflowTrackingUri: undefined, mlflowExperiment: undefined, wandbProject: 'from-settings', wandbEntity: undefined, wandbMode: undefined, tensorboard: true, python: undefined });
  const t = resolveTracking(exp.spec, exp.dir, settings, { WANDB_MODE: 'offline', TREX_TRACKING_PYTHON: '/x/python' });
  assert.equal(t?.wandb?.project, 'from-settings');
  assert.equal(t?.wandb?.entity, 'team');
  assert.equal(t?.wandb?.mode, 'offline');
  assert.equal(t?.python, '/x/python');
  assert.equal(t?.tensorboard?.logDir, join(exp.dir, '.trex', 'tensorboard'));
  assert.equal(t?.mlflow, undefined);
  exp.close();
});

test('trex run and the editor open the same trackers for the same trex.yaml', async () => {
  const env = { PATH: process.env.PATH ?? '', TREX_CONFIG_DIR: tempDir('trex-tracking-config-'), TREX_TRACKING_PYTHON: '/nonexistent/python' };
  const names = async (editor: boolean) => {
    const exp = experiment(specWith('  mlflow: {tracking_uri: "http://127.0.0.1:9"}\n  tensorboard: {}\n'));
    const req = editor ? searchRequestFromSettings(NO_SETTINGS, undefined, exp.dir, env) : searchRequestFromFlags(parseArgs(['run', exp.dir], new Set()), env);
    const s = await openSearchSession(exp, { ...req, preflight: false });
    try {
      return s.tracking?.trackers.map((t) => t.name);
    } finally {
      await s.close();
      exp.close();
    }
  };
  assert.deepEqual(await names(false), ['mlflow', 'tensorboard']);
  assert.deepEqual(await names(true), ['mlflow', 'tensorboard']);
});

test('the MLflow token from the environment reaches the server the user named, and no other', async () => {
  const seen: (string | undefined)[] = [];
  const server = createServer((req, res) => {
    seen.push(req.headers.authorization);
    res.writeHead(503).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const uri = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const exp = experiment(specWith(`  mlflow: {tracking_uri: "${uri}"}\n`));
    exp.createNode({ parent: null, origin: 'root', title: 'baseline', plan: '# Baseline\n', config: { recipe: exp.spec.baseline.recipe as never, train: exp.spec.baseline.train as never }, changes: [] });
    const id = exp.tree.root!;
    exp.emit({ type: 'node_failed', id, stage: 'setup', reason: 'x', logTail: '' });
    const token = 'tok-0123456789abcdef';
    const attempt = async (env: NodeJS.ProcessEnv) => {
      const [tracker] = createTrackers(resolveTracking(exp.spec, exp.dir, {}, env)!, env);
      await assert.rejects(tracker.log(buildNodeRun(exp, exp.tree.get(id), 'uct'), new AbortController().signal), /HTTP 503/);
      return seen.splice(0);
    };
    assert.deepEqual(await attempt({ MLFLOW_TRACKING_TOKEN: token }), [undefined], 'a server only trex.yaml names gets no credentials');
    assert.deepEqual(await attempt({ MLFLOW_TRACKING_TOKEN: token, MLFLOW_TRACKING_URI: uri }), [`Bearer ${token}`]);
    exp.close();
  } finally {
    server.close();
  }
});
