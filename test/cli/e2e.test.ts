// End to end through the real CLI, real PyTorch training on CPU, on the micro tasks.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse, stringify } from 'yaml';
import { Experiment, forkNode, queueNode } from '../../src/engine';
import { status, tempDir, trex, trexAsync } from '../helpers/cli';

function newExperiment(example = 'addition'): string {
  const dir = join(tempDir(), example);
  const r = trex(['init', dir, '--from', example]);
  assert.equal(r.code, 0, r.stderr);
  return dir;
}

function editYaml(path: string, edit: (v: Record<string, unknown>) => void): void {
  const text = readFileSync(path, 'utf8');
  const v = parse(text) as Record<string, unknown>;
  edit(v);
  writeFileSync(path, stringify(v));
}

test('a real micro search finds a better node than the baseline, and reuse avoids repeated work', async (t) => {
  const dir = newExperiment('addition');
  const run = trex(['run', dir, '--budget', '6', '--parallel', '2', '--policy', 'uct', '--seed', '1']);
  assert.equal(run.code, 0, `stdout:\n${run.stdout}\nstderr:\n${run.stderr}`);
  assert.match(run.stdout, /Best node: n\d{4}/);
  assert.match(run.stdout, /train\s+step \d+\/\d+ loss/, 'live progress lines were printed');

  const s = status(dir);
  assert.equal(s.runs, 6, 'the budget of 6 training runs was spent exactly');
  const done = s.nodes.filter((n) => n.status === 'succeeded');
  assert.ok(done.length >= 6);
  const root = s.nodes.find((n) => n.parent === null)!;
  assert.ok(root.score !== null);
  const scores = new Set(done.map((n) => n.score));
  assert.ok(scores.size >= 3, `scores differ between nodes: ${[...scores].join(', ')}`);
  assert.ok(s.best && s.best.score > root.score!, `best ${s.best?.score} beats the baseline ${root.score}`);
  assert.ok(s.best!.testScore !== null, 'the held-out test score is reported for the pick');

  // The node folder is the public format: plan, recipe, config, logs and the trainer's own files.
  const n0 = join(dir, 'nodes', root.id);
  for (const f of ['plan.md', 'recipe.yaml', 'train.yaml', 'metrics.json', 'data_stats.json', 'logs/prepare.log', 'logs/train.log', 'logs/evaluate.log', 'ckpt/trainer_log.jsonl', 'ckpt/trainer_state.json', 'ckpt/all_results.json']) {
    assert.ok(existsSync(join(n0, f)), `${f} exists`);
  }
  assert.match(readFileSync(join(dir, 'insights.md'), 'utf8'), /## Changes that helped/);

  // Data cache: children that changed only training knobs reused the prepared data.
  const trainOnly = done.filter((n) => n.parent !== null && n.changes.every((c) => c.path.startsWith('train.')));
  for (const n of trainOnly) assert.equal(n.dataCacheHit, true, `${n.id} reused the data of its recipe`);
  if (trainOnly.length > 0) assert.ok(s.savedMs > 0, 'the saved compute is recorded');

  await t.test('an identical config is never run twice', () => {
    const exp = Experiment.open(dir);
    const fork = forkNode(exp, root.id);
    queueNode(exp, fork);
    exp.close();
    const r = trex(['run', dir, '--budget', '7']);
    assert.equal(r.code, 0, r.stderr);
    const after = status(dir);
    const node = after.nodes.find((n) => n.id === fork)!;
    assert.equal(node.status, 'succeeded');
    assert.equal(node.reusedFrom, root.id);
    assert.equal(node.score, root.score);
  });

  await t.test('a child that only trains longer warm-starts from its parent checkpoint', () => {
    const exp = Experiment.open(dir);
    const fork = forkNode(exp, root.id);
    editYaml(exp.nodePath(fork, 'train.yaml'), (v) => {
      v.epochs = Number(v.epochs ?? 1) * 2;
    });
    queueNode(exp, fork);
    exp.close();
    const before = status(dir).runs;
    const r = trex(['run', dir, '--budget', String(before + 1)]);
    assert.equal(r.code, 0, r.stderr);
    const node = status(dir).nodes.find((n) => n.id === fork)!;
    assert.equal(node.status, 'succeeded', node.failure ?? '');
    assert.equal(node.warmStartFrom, root.id);
    assert.match(readFileSync(join(dir, 'nodes', fork, 'run', 'train', 'cmd'), 'utf8'), /--init/);
  });

  await t.test('a failing stage marks the node failed with its log tail and the search goes on', () => {
    const exp = Experiment.open(dir);
    const fork = forkNode(exp, root.id);
    editYaml(exp.nodePath(fork, 'recipe.yaml'), (v) => {
      (v.sources as { generator: string }[])[0].generator = 'no_such_generator';
    });
    queueNode(exp, fork);
    exp.close();
    const before = status(dir).runs;
    const r = trex(['run', dir, '--budget', String(before + 2)]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`✗ ${fork} failed in prepare`));
    const after = status(dir);
    const node = after.nodes.find((n) => n.id === fork)!;
    assert.equal(node.status, 'failed');
    assert.match(node.failure ?? '', /prepare: exit code \d+.*no_such_generator/);
    assert.equal(after.runs, before + 2, 'the search continued with another run after the failure');
  });

  await t.test('a node whose file breaks the schema fails with file, line and field, nothing runs', () => {
    const exp = Experiment.open(dir);
    const fork = forkNode(exp, root.id);
    writeFileSync(exp.nodePath(fork, 'train.yaml'), 'learning_rate: 0.001\nbatch_size: lots\n');
    assert.throws(() => queueNode(exp, fork), /nodes\/n\d+\/train\.yaml:2:\d+: field 'batch_size'/);
    exp.close();
  });
});

test('a bad trex.yaml is refused with file, line and field, and nothing runs', () => {
  const dir = newExperiment('addition');
  const spec = join(dir, 'trex.yaml');
  const lines = readFileSync(spec, 'utf8').split('\n');
  const idx = lines.findIndex((l) => l.startsWith('metric:'));
  lines[idx] = 'metric: {name: exact_match, goal: maximise}';
  writeFileSync(spec, lines.join('\n'));
  const r = trex(['run', dir, '--budget', '2']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, new RegExp(`trex\\.yaml:${idx + 1}:\\d+: field 'metric\\.goal' must be one of "maximize", "minimize"`));
  assert.doesNotMatch(r.stderr, /at .*\.js:\d+/, 'no stack trace');
  assert.equal(existsSync(join(dir, 'tree.jsonl')), false, 'no half-run');
});

test('Ctrl-C stops cleanly and running again resumes the same tree; kill -9 re-attaches', async () => {
  const dir = newExperiment('addition');
  const waitFor = async (pred: () => boolean, ms: number) => {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      if (pred()) return;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error('timed out waiting');
  };
  const log = () => (existsSync(join(dir, 'tree.jsonl')) ? readFileSync(join(dir, 'tree.jsonl'), 'utf8') : '');

  // 1. SIGINT while a training stage runs.
  const child = trexAsync(['run', dir, '--budget', '4', '--parallel', '1']);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  await waitFor(() => /"stage":"train"/.test(log()), 120_000);
  child.kill('SIGINT');
  const code = await new Promise<number>((r) => child.once('exit', (c) => r(c ?? -1)));
  assert.equal(code, 130, out);
  assert.match(out, /Stopped \(stopped\)/);
  const mid = status(dir);
  assert.ok(!mid.nodes.some((n) => n.status === 'running'), 'no node is left running');
  assert.ok(mid.nodes.some((n) => n.status === 'pending'), 'the interrupted node waits to resume');

  // 2. kill -9 mid-training: the detached stage keeps running and the next run re-attaches.
  const hard = trexAsync(['run', dir, '--budget', '4', '--parallel', '1']);
  const trainsBefore = (log().match(/"stage":"train"/g) ?? []).length;
  await waitFor(() => (log().match(/"stage":"train"/g) ?? []).length > trainsBefore, 120_000);
  hard.kill('SIGKILL');
  await new Promise((r) => hard.once('exit', r));
  const crashed = status(dir);
  const running = crashed.nodes.filter((n) => n.status === 'running').map((n) => n.id);
  assert.equal(running.length, 1, 'the log still says one node is running');

  const r = trex(['run', dir, '--budget', '4', '--parallel', '1']);
  assert.equal(r.code, 0, r.stderr);
  const end = status(dir);
  assert.equal(end.runs, 4);
  assert.ok(end.nodes.filter((n) => n.status === 'succeeded').length >= 4);
  const reattached = end.nodes.find((n) => n.id === running[0])!;
  assert.equal(reattached.status, 'succeeded');
  // The re-attached node's train stage ran once: one launch, one log, no duplicated lines.
  const trainLog = readFileSync(join(dir, 'nodes', running[0], 'logs', 'train.log'), 'utf8');
  const remote = readFileSync(join(dir, 'nodes', running[0], 'run', 'train', 'output.log'), 'utf8');
  assert.equal(trainLog, remote, 'the streamed log is byte-identical to the job output');
  const ids = end.nodes.map((n) => n.id);
  assert.equal(new Set(ids).size, ids.length);
});
