// The smaller findings of issue 16: the engine-owned file list ignores case (Metrics.json, LOGS/),
// a local job whose run folder is deleted is killed with its process group, and by-hand actions
// (approve, reject, prune) check the lock before they open the log for writing.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { approveNode, setPruned, withIdleExperiment } from '../../src/engine/actions';
import { LocalBackend } from '../../src/engine/backends/local';
import { runnerDir } from '../../src/engine/packageDirs';
import { processStartTime } from '../../src/engine/lock';
import { NodeSandbox } from '../../src/engine/llm/executorAgent/sandbox';
import { cleanupTempDirs, newExperiment } from '../engine/llm/helpers';

after(() => cleanupTempDirs());

test('engine-owned names are refused whatever their case', () => {
  const exp = newExperiment();
  const sb = new NodeSandbox(exp.nodeDir('n0000'));
  for (const p of ['Metrics.json', 'METRICS.JSON', 'LOGS/train.log', 'Run/x', 'CKPT/a', 'Data_Stats.json', 'Executor.JSONL', 'bad_cases.MD']) {
    assert.throws(() => sb.resolve(p, 'write'), /engine/, p);
  }
  assert.ok(sb.resolve('work/Notes.md', 'write').endsWith('work/Notes.md'));
});

function psArgs(): string[] {
  return execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).split('\n').map((l) => l.trim());
}

test('a local job whose run folder is deleted is killed, with everything in its process group', async () => {
  const exp = newExperiment();
  const backend = new LocalBackend({ experimentDir: exp.dir, runnerDir: runnerDir(), python: process.env.TREX_PYTHON ?? '/usr/bin/python3' });
  const marker = `${process.pid}${Date.now() % 100000}`; // a unique sleep length names our processes
  const job = { runDir: 'nodes/n0000/run/orphan', argv: ['bash', '-c', `sleep ${marker} & touch nodes/n0000/run/orphan/child-started; wait`], env: {}, inputs: [], outputs: [], label: 'orphan' };
  await backend.start(job);
  const started = exp.nodePath('n0000', 'run', 'orphan', 'child-started');
  while (!existsSync(started)) await new Promise((r) => setTimeout(r, 20));
  assert.equal((await backend.poll(job)).state, 'running');
  assert.ok(psArgs().includes(`sleep ${marker}`));
  rmSync(exp.nodePath('n0000', 'run'), { recursive: true, force: true });
  assert.equal((await backend.poll(job)).state, 'none');
  // SIGKILL is delivered at once; wait only for the kernel to reap the processes.
  while (psArgs().includes(`sleep ${marker}`)) await new Promise((r) => setTimeout(r, 20));
  assert.ok(!psArgs().includes(`sleep ${marker}`));
});

test('approve/reject/prune refuse while a search holds the lock, without touching the log', async () => {
  const exp = newExperiment();
  const id = exp.createNode({ parent: 'n0000', origin: 'proposer', title: 'x', plan: 'p', config: exp.readNodeConfig('n0000'), changes: [], status: 'awaiting_approval' });
  exp.close();
  const log = join(exp.dir, 'tree.jsonl');
  // Another process holds the lock, and its last event is being written right now (a partial line).
  const holder = spawn('sleep', ['1000000'], { stdio: 'ignore' });
  try {
    mkdirSync(join(exp.dir, '.trex'), { recursive: true });
    writeFileSync(join(exp.dir, '.trex', 'search.lock'), JSON.stringify({ pid: holder.pid, start: processStartTime(holder.pid!) }));
    appendFileSync(log, '{"seq":99,"t":1,"type":"node_st');
    const before = readFileSync(log, 'utf8');
    for (const [what, act] of [['approve', approveNode], ['prune', (e: typeof exp, n: string) => setPruned(e, n, true)]] as const) {
      assert.throws(() => withIdleExperiment(exp.dir, what, (e) => act(e, id)), new RegExp(`already running.*pid ${holder.pid}.*${what} from the VS Code panel`));
    }
    assert.equal(readFileSync(log, 'utf8'), before, 'the partial line of the running search is left alone');
  } finally {
    holder.kill('SIGKILL');
  }
  rmSync(join(exp.dir, '.trex', 'search.lock'));
  withIdleExperiment(exp.dir, 'approve', (e) => approveNode(e, id));
  assert.ok(!existsSync(join(exp.dir, '.trex', 'search.lock')), 'released after the action');
});

test('the allowlist the runner re-checks sources against: data/, allow_paths, and only the paths the user chose', async () => {
  const { trainerDataPolicy } = await import('../../src/engine/dataPolicy');
  const spec = {
    data_policy: { allow_paths: ['/srv/corpora'], allow_hosts: ['Data.Example.org'] },
    task: { kind: 'llm', eval_data: { validation: { kind: 'file', path: '/srv/eval/val.jsonl' } } },
    baseline: { recipe: { sources: [{ kind: 'file', path: '/home/me/train.jsonl' }, { kind: 'file', path: 'https://mirror.example.com/a.jsonl' }] }, train: {} },
  } as never;
  const proposed = { sources: [{ kind: 'file', path: '/etc/passwd' }, { kind: 'file', path: 'https://evil.example.net/x' }] };
  const byModel = trainerDataPolicy(spec, proposed, [{ path: 'recipe.sources.0.path', from: 'a', to: '/etc/passwd', by: 'researcher' }]);
  assert.deepEqual(byModel.allow_paths, ['data', '/srv/corpora', '/srv/eval/val.jsonl', '/home/me/train.jsonl']);
  assert.deepEqual(byModel.allow_hosts, ['data.example.org', 'mirror.example.com']);
  const byUser = trainerDataPolicy(spec, { sources: [{ kind: 'file', path: '/home/me/other.jsonl' }] }, [{ path: 'recipe.sources.0.path', from: 'a', to: '/home/me/other.jsonl', by: 'user' }]);
  assert.ok(byUser.allow_paths.includes('/home/me/other.jsonl'), 'a path the user typed is trusted');
});

test('a source the user typed on an ancestor stays trusted; a model changing it later is not', async () => {
  const { trainerDataPolicy } = await import('../../src/engine/dataPolicy');
  const spec = { task: { kind: 'llm' }, baseline: { recipe: { sources: [{ kind: 'file', path: 'data/a.jsonl' }] }, train: {} } } as never;
  const userFork = { path: 'recipe.sources', from: [], to: [{ kind: 'file', path: '/home/me/b.jsonl' }], by: 'user' as const };
  const kept = trainerDataPolicy(spec, { sources: [{ kind: 'file', path: '/home/me/b.jsonl' }] }, [userFork]);
  assert.ok(kept.allow_paths.includes('/home/me/b.jsonl'));
  const changed = trainerDataPolicy(spec, { sources: [{ kind: 'file', path: '/home/me/.ssh/id_rsa' }] }, [userFork, { path: 'recipe.sources.0.path', from: '/home/me/b.jsonl', to: '/home/me/.ssh/id_rsa', by: 'researcher' }]);
  assert.ok(!changed.allow_paths.some((p) => p.includes('.ssh')), JSON.stringify(changed));
});
