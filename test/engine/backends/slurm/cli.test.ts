// DONE-WHEN of issue #8, through the bundled CLI, a real single-node SLURM cluster and the loopback
// sshd as its login node:
// (1) `trex run <dir> --backend slurm:<host> --budget 3 --parallel 2` completes a micro-task search
//     with two SLURM jobs running at once;
// (2) `--backend pool:slurm:<host>,ssh:<host>` completes a search with nodes on both members.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parse, stringify } from 'yaml';
import { ROOT, status, tempDir, trex, trexAsync } from '../../../helpers/cli';
import { sshdAvailable, type SshdHarness } from '../ssh/sshd';
import { SlurmCluster, slurmUnavailable } from './cluster';
import { sleep, startLoginNode } from './helpers';

const skip = !sshdAvailable() ? 'OpenSSH server (/usr/sbin/sshd) is not installed' : !existsSync(join(ROOT, 'dist', 'cli.js')) ? 'dist/cli.js is not built (node esbuild.mjs)' : (slurmUnavailable() ?? false);
let cluster: SlurmCluster;
let h: SshdHarness;
const temps: string[] = [];

before(async () => {
  if (skip) return;
  cluster = await SlurmCluster.start();
  h = await startLoginNode(cluster);
});
after(async () => {
  await h?.cleanup();
  await cluster?.cleanup();
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

function cliEnv(): Record<string, string> {
  return { ...h.env(), HOME: h.dir, TREX_REMOTE_CACHE: join(ROOT, '.trex-cache'), TREX_PYTHON: '/usr/bin/python3' };
}

function newExperiment(name: string): { dir: string; remote: string } {
  const parent = tempDir('trex-slurm-cli-');
  temps.push(parent);
  const dir = join(parent, name);
  const r = trex(['init', dir, '--from', 'addition'], cliEnv());
  assert.equal(r.code, 0, `trex init failed:\n${r.stderr}`);
  const remote = join(h.dir, `remote ${name}`);
  const specPath = join(dir, 'trex.yaml');
  const spec = parse(readFileSync(specPath, 'utf8')) as Record<string, unknown>;
  spec.compute = { backend: 'slurm:trex-test', remote_dir: remote, python: '/usr/bin/python3', slurm: { time_limit: '00:20:00' } };
  writeFileSync(specPath, stringify(spec));
  return { dir, remote };
}

/** Runs the CLI, sampling how many SLURM jobs run at once; returns exit code, output and the peak. */
async function runWatching(args: string[]): Promise<{ code: number; out: string; peakRunning: number }> {
  const child = trexAsync(args, cliEnv());
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const done = new Promise<number>((resolve) => child.once('exit', (code) => resolve(code ?? -1)));
  let peakRunning = 0;
  while (child.exitCode === null) {
    const sq = cluster.client('squeue', ['-h', '-t', 'RUNNING', '-o', '%i']);
    if (sq.code === 0) peakRunning = Math.max(peakRunning, sq.out.split('\n').filter((l) => /^\d+$/.test(l.trim())).length);
    await Promise.race([done, sleep(500)]);
  }
  return { code: await done, out, peakRunning };
}

/** Stage run folders of every node: which backend ran them (pool) and their SLURM job ids. */
function stageRuns(dir: string, remote: string): { node: string; stage: string; member?: string; jobId?: string }[] {
  const runs: { node: string; stage: string; member?: string; jobId?: string }[] = [];
  const nodes = join(dir, 'nodes');
  for (const node of existsSync(nodes) ? readdirSync(nodes) : []) {
    for (const stage of ['prepare', 'train', 'evaluate']) {
      const local = join(nodes, node, 'run', stage, '.backend');
      const idFile = join(remote, 'nodes', node, 'run', stage, 'slurm_job_id');
      const member = existsSync(local) ? readFileSync(local, 'utf8').trim() : undefined;
      const jobId = existsSync(idFile) ? readFileSync(idFile, 'utf8').trim() : undefined;
      if (member || jobId || existsSync(join(remote, 'nodes', node, 'run', stage, 'output.log'))) runs.push({ node, stage, member, jobId });
    }
  }
  return runs;
}

test('trex run --backend slurm:<host> --budget 3 --parallel 2 completes through SLURM with 2 jobs at once', { skip, timeout: 300_000 }, async () => {
  const { dir, remote } = newExperiment('addition-slurm');
  const r = await runWatching(['run', dir, '--backend', 'slurm:trex-test', '--budget', '3', '--parallel', '2']);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /slurm:\d+@trex-test/, 'progress names the SLURM job and the login node');
  assert.match(r.out, /Best node: n\d{4}/);
  assert.ok(r.peakRunning >= 2, `SLURM ran ${r.peakRunning} job(s) at once at most`);
  const s = status(dir);
  assert.equal(s.runs, 3);
  assert.ok(s.nodes.filter((n) => n.status === 'succeeded').length >= 3, JSON.stringify(s.nodes.map((n) => [n.id, n.status, n.failure])));
  const trains = stageRuns(dir, remote).filter((x) => x.stage === 'train');
  assert.ok(trains.length >= 3 && trains.every((x) => x.jobId && /^\d+$/.test(x.jobId)), `every train stage ran as a SLURM job: ${JSON.stringify(trains)}`);
  for (const n of s.nodes.filter((x) => x.status === 'succeeded' && !x.reusedFrom)) {
    const local = readFileSync(join(dir, 'nodes', n.id, 'logs', 'train.log'));
    assert.ok(local.equals(readFileSync(join(remote, 'nodes', n.id, 'run', 'train', 'output.log'))), `${n.id} train.log matches the job output`);
  }
});

test('a pool of the SLURM cluster and an ssh host completes a search using both', { skip, timeout: 300_000 }, async () => {
  const { dir, remote } = newExperiment('addition-pool');
  const r = await runWatching(['run', dir, '--backend', 'pool:slurm:trex-test=1,ssh:trex-test=1', '--budget', '3', '--parallel', '2']);
  assert.equal(r.code, 0, r.out);
  const s = status(dir);
  assert.equal(s.runs, 3);
  assert.ok(s.nodes.filter((n) => n.status === 'succeeded').length >= 3, JSON.stringify(s.nodes.map((n) => [n.id, n.status, n.failure])));
  const runs = stageRuns(dir, remote).filter((x) => x.stage === 'train');
  const members = new Set(runs.map((x) => x.member));
  assert.ok(members.has('slurm:trex-test') && members.has('ssh:trex-test'), `nodes ran on both members: ${JSON.stringify(runs)}`);
  for (const x of runs) {
    if (x.member === 'slurm:trex-test') assert.ok(x.jobId, `${x.node} on the SLURM member has a job id`);
    else assert.equal(x.jobId, undefined, `${x.node} on the ssh member ran without SLURM`);
  }
});
