// The slurm backend against a real single-node SLURM cluster, reached over the loopback sshd
// (the "login node" is this machine): submit, a failing job, cancel, a job killed by its time
// limit, the controller restarted during a job, a requeued job, re-attach, parallel jobs.
// The tests run concurrently: the time-limit job alone needs 60-90 s (SLURM's minimum limit is one
// minute and slurmctld checks limits every 30 s).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { SlurmBackend } from '../../../../src/engine/backends/slurm';
import { localExperiment } from '../ssh/helpers';
import { sshdAvailable, type SshdHarness } from '../ssh/sshd';
import { SlurmCluster, slurmUnavailable } from './cluster';
import { follow, gatedJob, makeSlurmBackend, sleep, sleepJob, startLoginNode, waitFor } from './helpers';

const skip = !sshdAvailable() ? 'OpenSSH server (/usr/sbin/sshd) is not installed' : (slurmUnavailable() ?? false);
let cluster: SlurmCluster;
let h: SshdHarness;
let exp: string;
let remote: string;
let backend: SlurmBackend;

before(async () => {
  if (skip) return;
  cluster = await SlurmCluster.start();
  h = await startLoginNode(cluster);
  exp = localExperiment('trex-slurm-exp-');
  remote = join(h.dir, 'remote work');
  backend = makeSlurmBackend(h, exp, remote);
  await backend.preflight();
});

after(async () => {
  await backend?.close();
  await h?.cleanup();
  await cluster?.cleanup();
  if (cluster) assert.ok(cluster.stopped(), 'every daemon the harness started is gone');
});

const logOf = (node: string) => join(exp, `${node}.log`);
const remoteRun = (node: string, root = remote) => join(root, 'nodes', node, 'run', 'train');
// Backends beside the main one get their own remote dir: two ssh connections of one process to
// the same work dir would share command-session folders (see the report on ssh/connection.ts).
const ownRoot = (name: string) => join(h.dir, `remote ${name}`);

describe('slurm backend', { skip, concurrency: true }, () => {
  test('a job is submitted, streamed from an offset and ends with its exit code; the node records slurm:<id>@<host>', async () => {
    const job = sleepJob('ok', 1);
    await backend.start(job);
    const { final } = await follow(backend, job, logOf('ok'));
    assert.equal(final.state, 'exited');
    assert.equal(final.exitCode, 0);
    assert.match(final.where ?? '', /^slurm:\d+@trex-test$/);
    const jobId = readFileSync(join(remoteRun('ok'), 'slurm_job_id'), 'utf8').trim();
    assert.equal(final.where, `slurm:${jobId}@trex-test`);
    const local = readFileSync(logOf('ok'), 'utf8');
    assert.equal(local, readFileSync(join(remoteRun('ok'), 'output.log'), 'utf8'), 'local log is byte-identical to the job output');
    assert.match(local, new RegExp(`^trex: SLURM job ${jobId} on \\S+ \\(restart 0\\)\\n`));
    assert.match(local, /tick 5\n$/);
    // Starting it again is refused by the run folder, not submitted twice.
    await backend.start(job);
    assert.equal(readFileSync(join(remoteRun('ok'), 'slurm_job_id'), 'utf8').trim(), jobId);
  });

  test('a failing job reports its exit code', async () => {
    const job = sleepJob('fails', 0.4, 7);
    await backend.start(job);
    const { final } = await follow(backend, job, logOf('fails'));
    assert.deepEqual([final.state, final.exitCode], ['exited', 7]);
  });

  test('cancel ends a running job through scancel; exit code 143 in the run folder', async () => {
    const job = sleepJob('cancelled', 120);
    await backend.start(job);
    await waitFor(backend, job, ['running']);
    await backend.cancel(job);
    const st = await backend.poll(job);
    assert.deepEqual([st.state, st.exitCode], ['exited', 143]);
    assert.equal(readFileSync(join(remoteRun('cancelled'), 'exit_code'), 'utf8').trim(), '143');
    const id = readFileSync(join(remoteRun('cancelled'), 'slurm_job_id'), 'utf8').trim();
    assert.match(cluster.client('scontrol', ['show', 'job', '-o', id]).out, /JobState=CANCELLED/);
  });

  test('a job killed by its time limit ends with 124', { timeout: 150_000 }, async () => {
    const timed = makeSlurmBackend(h, exp, ownRoot('timed'), { slurm: { timeLimit: '1' } });
    try {
      const job = sleepJob('timelimit', 240);
      await timed.start(job);
      const { final } = await follow(timed, job, logOf('timelimit'), { pollMs: 1000 });
      assert.deepEqual([final.state, final.exitCode], ['exited', 124]);
      const id = readFileSync(join(remoteRun('timelimit', ownRoot('timed')), 'slurm_job_id'), 'utf8').trim();
      assert.match(cluster.client('scontrol', ['show', 'job', '-o', id]).out, /JobState=TIMEOUT/);
    } finally {
      await timed.close();
    }
  });

  test('sbatch errors (an unknown partition) fail the start with the reason', async () => {
    const bad = makeSlurmBackend(h, exp, ownRoot('bad'), { slurm: { partition: 'nosuchpartition' } });
    try {
      await assert.rejects(bad.start(sleepJob('badpart', 1)), /sbatch refused.*[Ii]nvalid partition/s);
    } finally {
      await bad.close();
    }
  });

  test('partition, account-free flags reach sbatch (the job runs in the partition asked for)', async () => {
    const other = makeSlurmBackend(h, exp, ownRoot('other'), { slurm: { partition: 'other', timeLimit: '00:05:00' } });
    try {
      const job = sleepJob('partition', 0.4);
      await other.start(job);
      const st = await waitFor(other, job, ['exited']);
      assert.equal(st.exitCode, 0);
      const id = readFileSync(join(remoteRun('partition', ownRoot('other')), 'slurm_job_id'), 'utf8').trim();
      const info = cluster.client('scontrol', ['show', 'job', '-o', id]).out;
      assert.match(info, /Partition=other/);
      assert.match(info, /TimeLimit=00:05:00/);
    } finally {
      await other.close();
    }
  });
});

// Run on their own: restarting the controller would disturb the concurrent tests above.
describe('slurm backend, one at a time', { skip }, () => {
  test('parallel jobs run at the same time', async () => {
    // All three wait on one gate, opened once all three are running: however slow the starts.
    const gate = join(exp, 'parallel.gate');
    const jobs = ['par1', 'par2', 'par3'].map((n) => gatedJob(n, gate));
    for (const j of jobs) await backend.start(j);
    for (const j of jobs) await waitFor(backend, j, ['running']);
    writeFileSync(gate, '');
    const results = await Promise.all(jobs.map((j, i) => follow(backend, j, logOf(`par${i + 1}`))));
    for (const r of results) assert.deepEqual([r.final.state, r.final.exitCode], ['exited', 0]);
    const spans = results.map((r) => [r.final.startedAtMs ?? 0, r.final.finishedAtMs ?? 0]);
    const overlap = Math.min(...spans.map((s) => s[1])) - Math.max(...spans.map((s) => s[0]));
    assert.ok(overlap > 0, `all three ran at once: ${JSON.stringify(spans)}`);
  });

  test('the controller restarted during a job: polls keep answering and the job completes', { timeout: 120_000 }, async () => {
    // The job runs until the controller is back: its end never races the restart.
    const gate = join(exp, 'ctlrestart.gate');
    const job = gatedJob('ctlrestart', gate);
    await backend.start(job);
    await waitFor(backend, job, ['running']);
    const restart = cluster.restartController(3000);
    await sleep(1000);
    const duringDown = (await backend.poll(job)).state; // squeue cannot reach the controller now
    await restart;
    writeFileSync(gate, '');
    const { final } = await follow(backend, job, logOf('ctlrestart'), { pollMs: 500 });
    assert.equal(duringDown, 'running', 'while the controller is down the run folder says running');
    assert.deepEqual([final.state, final.exitCode], ['exited', 0]);
  });

  test('a requeued job is followed through its second run; its log is appended', { timeout: 120_000 }, async () => {
    // The first run lasts until the requeue has happened; the second finds the gate open and ends.
    const gate = join(exp, 'requeue.gate');
    const job = gatedJob('requeue', gate);
    await backend.start(job);
    const first = await waitFor(backend, job, ['running']);
    const id = /^slurm:(\d+)@/.exec(first.where ?? '')?.[1] ?? '';
    const r = cluster.client('scontrol', ['requeue', id]);
    assert.equal(r.code, 0, r.out);
    // SLURM holds a requeued job back for a while (BeginTime); let it start again now.
    await waitFor(backend, job, ['starting']);
    writeFileSync(gate, '');
    for (let i = 0; i < 20 && cluster.client('scontrol', ['update', `JobId=${id}`, 'StartTime=now']).code !== 0; i++) await sleep(500);
    const { final, seen } = await follow(backend, job, logOf('requeue'), { pollMs: 500 });
    assert.deepEqual([final.state, final.exitCode], ['exited', 0]);
    assert.ok(seen.every((s) => s.state !== 'exited' || s === final), 'no exit reported before the second run ended');
    const log = readFileSync(logOf('requeue'), 'utf8');
    assert.match(log, /\(restart 0\)[\s\S]*\(restart 1\)/);
    assert.equal(log, readFileSync(join(remoteRun('requeue'), 'output.log'), 'utf8'));
  });

  test('a new client (another process) re-attaches to a running job from the run folder', async () => {
    // The job runs until the child, having seen it running, opens the gate: no race with its end.
    const gate = join(exp, 'reattach.gate');
    const job = gatedJob('reattach', gate);
    await backend.start(job);
    await waitFor(backend, job, ['running']);
    const child = spawnSync(process.execPath, [join(__dirname, 'reattachChild.js')], {
      encoding: 'utf8',
      timeout: 120_000,
      env: { ...process.env, SLURM_TEST_ARGS: JSON.stringify({ sshConfig: h.sshConfigPath, knownHosts: h.knownHostsPath, host: h.host, exp, remote, job, gate }) },
    });
    assert.equal(child.status, 0, child.stderr);
    const states = JSON.parse(child.stdout) as { first: string; final: string; exitCode: number };
    assert.deepEqual(states, { first: 'running', final: 'exited', exitCode: 0 });
  });

  test('reset cancels a queued or running job and removes its run folder', async () => {
    const job = sleepJob('reset', 60);
    await backend.start(job);
    await waitFor(backend, job, ['running', 'starting']);
    await backend.reset(job);
    assert.equal((await backend.poll(job)).state, 'none');
    rmSync(logOf('reset'), { force: true });
  });
});
