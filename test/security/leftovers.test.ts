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
import { runnerDir } from '../../src/engine/paths';
import { processStartTime } from '../../src/engine/lock';
import { NodeSandbox } from '../../src/engine/llm/executor/sandbox';
import { cleanupTempDirs, newExperiment } from '../llm/helpers';

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
