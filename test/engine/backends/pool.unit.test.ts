// The pool backend with in-memory members: routing to free slots, node affinity, the .backend
// route file and re-attach, a member that goes down, capacity, member syntax.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { Backend, JobStatus, StageJob } from '../../../src/engine/backends/backend';
import { nodeKey, parseMember, PoolBackend, poolMembers } from '../../../src/engine/backends/pool';

class FakeMember implements Backend {
  readonly jobs = new Map<string, JobStatus>();
  failing = false;
  preflights = 0;
  readonly pollIntervalMs = 10;
  constructor(
    readonly name: string,
    readonly capacity: number,
    readonly files = new Set<string>(),
  ) {}
  private check(): void {
    if (this.failing) throw new Error(`${this.name}: connection lost`);
  }
  async preflight(): Promise<void> {
    this.preflights++;
    this.check();
  }
  async start(job: StageJob): Promise<void> {
    this.check();
    this.jobs.set(job.runDir, { state: 'running', where: this.name });
  }
  async poll(job: StageJob): Promise<JobStatus> {
    this.check();
    return this.jobs.get(job.runDir) ?? { state: 'none' };
  }
  async readLog(): Promise<Buffer> {
    this.check();
    return Buffer.from('x');
  }
  async fetchResults(): Promise<void> {}
  async cancel(job: StageJob): Promise<void> {
    this.jobs.set(job.runDir, { state: 'exited', exitCode: 143 });
  }
  async reset(job: StageJob): Promise<void> {
    this.jobs.delete(job.runDir);
  }
  async exists(rel: string): Promise<boolean> {
    this.check();
    return this.files.has(rel);
  }
  async close(): Promise<void> {}
}

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
function expDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'trex-pool-'));
  dirs.push(d);
  return d;
}
const job = (node: string, stage = 'train'): StageJob => ({ runDir: `nodes/${node}/run/${stage}`, argv: ['true'], env: {}, inputs: [], outputs: [], label: `${node} ${stage}` });

test('member syntax: pool:ssh:a,slurm:b=8 and compute.hosts', () => {
  assert.deepEqual(poolMembers('pool:ssh:gpu1,slurm:login=8', undefined), [
    { kind: 'ssh', host: 'gpu1', slots: undefined, name: 'ssh:gpu1' },
    { kind: 'slurm', host: 'login', slots: 8, name: 'slurm:login' },
  ]);
  assert.deepEqual(poolMembers('pool', ['ssh:a=2']).map((m) => [m.name, m.slots]), [['ssh:a', 2]]);
  assert.throws(() => poolMembers('pool', undefined), /needs members/);
  assert.throws(() => parseMember('local'), /invalid pool member/);
  assert.throws(() => poolMembers('pool:ssh:a,ssh:a', undefined), /listed twice/);
  assert.throws(() => parseMember('ssh:a=0'), /at least 1/);
  assert.equal(nodeKey('nodes/n0001/run/train'), 'nodes/n0001/run');
});

test('jobs go to free slots, a node keeps its member, capacity is the sum', async () => {
  const a = new FakeMember('ssh:a', 1);
  const b = new FakeMember('slurm:b', 2);
  const dir = expDir();
  const pool = new PoolBackend([a, b], { experimentDir: dir });
  assert.equal(pool.capacity, 3);
  await pool.preflight();
  await pool.start(job('n1', 'prepare'));
  await pool.start(job('n2', 'prepare'));
  await pool.start(job('n3', 'prepare'));
  assert.equal(b.jobs.size + a.jobs.size, 3);
  assert.equal(a.jobs.size, 1, 'the one-slot member got one job');
  assert.equal(readFileSync(join(dir, 'nodes/n1/run/prepare/.backend'), 'utf8').trim(), 'slurm:b');
  // The node's next stage follows its first, whatever the free slots say.
  for (const n of ['n1', 'n2', 'n3']) await pool.fetchResults(job(n, 'prepare'));
  const n2member = readFileSync(join(dir, 'nodes/n2/run/prepare/.backend'), 'utf8').trim();
  await pool.start(job('n2', 'train'));
  assert.equal(readFileSync(join(dir, 'nodes/n2/run/train/.backend'), 'utf8').trim(), n2member);
  assert.equal((await pool.poll(job('n2', 'train'))).where, n2member);
});

test('a restarted client re-attaches through the .backend file, and sibling stages stay on the member', async () => {
  const dir = expDir();
  const a = new FakeMember('ssh:a', 1);
  const b = new FakeMember('ssh:b', 1);
  await new PoolBackend([a, b], { experimentDir: dir }).start(job('n1', 'prepare'));
  const holder = a.jobs.size ? a : b;
  const again = new PoolBackend([a, b], { experimentDir: dir });
  assert.equal((await again.poll(job('n1', 'prepare'))).where, holder.name);
  await again.start(job('n1', 'train'));
  assert.ok(holder.jobs.has('nodes/n1/run/train'), 'the train stage went where prepare ran');
  assert.equal((await again.poll(job('n9'))).state, 'none');
});

test('a member that goes away is marked down: its job is lost, new jobs go elsewhere, the search is not stalled', async () => {
  const dir = expDir();
  const a = new FakeMember('ssh:a', 4);
  const b = new FakeMember('slurm:b', 1);
  const pool = new PoolBackend([a, b], { experimentDir: dir });
  await pool.start(job('n1'));
  assert.ok(a.jobs.has('nodes/n1/run/train'));
  a.failing = true;
  assert.equal((await pool.poll(job('n1'))).state, 'lost');
  assert.deepEqual(await pool.readLog(job('n1'), 0, 10), Buffer.alloc(0));
  await pool.reset(job('n1'));
  assert.equal((await pool.poll(job('n1'))).state, 'none');
  await pool.start(job('n1'));
  assert.ok(b.jobs.has('nodes/n1/run/train'), 'restarted on the member that is up');
  assert.equal(pool.capacity, 1, 'capacity counts members that are up');
  assert.equal(pool.memberStates.find((m) => m.name === 'ssh:a')?.up, false);
});

test('a member failing preflight is left out; all failing is an error naming each', async () => {
  const a = new FakeMember('ssh:a', 1);
  const b = new FakeMember('slurm:b', 1);
  a.failing = true;
  const pool = new PoolBackend([a, b], { experimentDir: expDir() });
  await pool.preflight();
  await pool.start(job('n1'));
  assert.ok(b.jobs.has('nodes/n1/run/train'));
  b.failing = true;
  const both = new PoolBackend([a, b], { experimentDir: expDir() });
  await assert.rejects(both.preflight(), /no member of the pool.*ssh:a.*slurm:b/s);
});

test('a start that fails on one member is retried on another', async () => {
  const a = new FakeMember('ssh:a', 5);
  const b = new FakeMember('ssh:b', 1);
  const pool = new PoolBackend([a, b], { experimentDir: expDir() });
  a.failing = true; // fails after the pool chose it (most free slots)
  await pool.start(job('n1'));
  assert.ok(b.jobs.has('nodes/n1/run/train'));
});

test('exists is true only where every member that is up has the path', async () => {
  const a = new FakeMember('ssh:a', 1, new Set(['cache/data/x/stats.json']));
  const b = new FakeMember('ssh:b', 1);
  const pool = new PoolBackend([a, b], { experimentDir: expDir() });
  assert.equal(await pool.exists('cache/data/x/stats.json'), false);
  b.files.add('cache/data/x/stats.json');
  assert.equal(await pool.exists('cache/data/x/stats.json'), true);
});
