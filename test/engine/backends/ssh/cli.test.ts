// DONE-WHEN of the ssh backend, through the bundled CLI and a loopback sshd:
// (1) `trex run <dir> --backend ssh:<host>` completes a micro-task search, logs streamed while runs go;
// (2) with the connection dropped at least 5 times during training, the search still completes and
//     every node's logs are byte-identical to the remote files, with metrics present.
import assert from 'node:assert/strict';
import { type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parse, stringify } from 'yaml';
import { ROOT, status, tempDir, trex, trexAsync } from '../../../helpers/cli';
import { sleep } from './helpers';
import { SshdHarness, sshdAvailable } from './sshd';

const skip = !sshdAvailable() ? 'OpenSSH server (/usr/sbin/sshd) is not installed' : !existsSync(join(ROOT, 'dist', 'cli.js')) ? 'dist/cli.js is not built (node esbuild.mjs)' : false;
let h: SshdHarness;
const temps: string[] = [];

before(async () => {
  if (!skip) h = await SshdHarness.start();
});
after(async () => {
  await h?.cleanup();
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

/** Environment of the CLI: ssh config, known_hosts and HOME from the harness; the base model cache shared with the other tests. */
function sshEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { ...h.env(), HOME: h.dir, TREX_REMOTE_CACHE: join(ROOT, '.trex-cache'), ...extra };
}

function newSshExperiment(name: string, edit?: (spec: Record<string, unknown>) => void): { dir: string; remote: string } {
  const parent = tempDir('trex-ssh-cli-');
  temps.push(parent);
  const dir = join(parent, name);
  const r = trex(['init', dir, '--from', 'addition'], sshEnv());
  assert.equal(r.code, 0, `trex init failed:\n${r.stderr}`);
  const remote = join(h.dir, `remote ${name}`);
  const specPath = join(dir, 'trex.yaml');
  const spec = parse(readFileSync(specPath, 'utf8')) as Record<string, unknown>;
  spec.compute = { backend: 'ssh:trex-test', remote_dir: remote };
  edit?.(spec);
  writeFileSync(specPath, stringify(spec));
  return { dir, remote };
}

function collect(child: ChildProcess): { out: () => string; done: Promise<number> } {
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const done = new Promise<number>((resolve) => child.once('exit', (code) => resolve(code ?? -1)));
  return { out: () => out, done };
}

/** Nodes whose train stage is running on the host right now, with the size of their local train log. */
function trainingNow(dir: string, remote: string): { id: string; localLog: number }[] {
  const nodes = join(dir, 'nodes');
  if (!existsSync(nodes)) return [];
  const live: { id: string; localLog: number }[] = [];
  for (const id of readdirSync(nodes)) {
    const remoteRun = join(remote, 'nodes', id, 'run', 'train');
    const local = join(nodes, id, 'logs', 'train.log');
    if (existsSync(join(remoteRun, 'pid')) && !existsSync(join(remoteRun, 'exit_code')) && existsSync(local)) live.push({ id, localLog: statSync(local).size });
  }
  return live;
}

/** Every stage log of every node, local vs the remote output.log; and metrics for the succeeded ones. */
function assertLogsMatchRemote(dir: string, remote: string): number {
  const s = status(dir);
  let compared = 0;
  for (const n of s.nodes) {
    if (n.status !== 'succeeded' || n.reusedFrom) continue;
    const metrics = join(dir, 'nodes', n.id, 'metrics.json');
    assert.ok(existsSync(metrics), `${n.id} has metrics.json`);
    assert.equal(typeof (JSON.parse(readFileSync(metrics, 'utf8')) as { validation: { exact_match: number } }).validation.exact_match, 'number');
    for (const stage of ['prepare', 'train', 'evaluate']) {
      const local = join(dir, 'nodes', n.id, 'logs', `${stage}.log`);
      const remoteLog = join(remote, 'nodes', n.id, 'run', stage, 'output.log');
      if (!existsSync(remoteLog)) continue; // a stage skipped by reuse (cached data)
      assert.ok(existsSync(local), `${n.id} ${stage}.log exists locally`);
      assert.ok(readFileSync(local).equals(readFileSync(remoteLog)), `${n.id} ${stage}.log is byte-identical to the remote output.log`);
      compared++;
    }
    assert.ok(existsSync(join(remote, 'nodes', n.id, 'run', 'train', 'output.log')), `${n.id} trained on the host`);
  }
  return compared;
}

test('trex run --backend ssh:<host> completes a micro search through sshd, streaming logs while runs go', { skip, timeout: 300_000 }, async () => {
  const { dir, remote } = newSshExperiment('addition-ssh');

  // The host is unknown at first: the run fails fast and names it, until --accept-new-host.
  const knownHosts = join(h.dir, 'known_hosts.cli');
  writeFileSync(knownHosts, '');
  const refused = trex(['run', dir, '--backend', 'ssh:trex-test', '--budget', '3'], sshEnv({ TREX_KNOWN_HOSTS: knownHosts }));
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /trex-test.*unknown host/);
  assert.match(refused.stderr, /--accept-new-host/);

  const child = trexAsync(['run', dir, '--backend', 'ssh:trex-test', '--budget', '3', '--parallel', '2', '--accept-new-host'], sshEnv({ TREX_KNOWN_HOSTS: knownHosts }));
  const run = collect(child);
  let sawLiveLog = false;
  while (child.exitCode === null) {
    if (trainingNow(dir, remote).some((n) => n.localLog > 0)) sawLiveLog = true;
    await Promise.race([run.done, sleep(100)]);
  }
  const code = await run.done;
  assert.equal(code, 0, run.out());
  assert.ok(sawLiveLog, 'a train log grew locally while the stage was still running on the host');
  assert.match(run.out(), /on ssh:trex-test/);
  assert.match(run.out(), /train\s+step \d+\/\d+ loss .*@trex-test/, 'live progress lines name the host');
  assert.match(run.out(), /Best node: n\d{4}/);
  assert.equal(readFileSync(knownHosts, 'utf8').trim(), h.hostPublicKeyLine(), '--accept-new-host recorded the key');

  const s = status(dir);
  assert.equal(s.runs, 3);
  assert.ok(s.nodes.filter((n) => n.status === 'succeeded').length >= 3, JSON.stringify(s.nodes.map((n) => [n.id, n.status, n.failure])));
  assert.ok(assertLogsMatchRemote(dir, remote) >= 6);
});

test('the search completes with every log byte-identical despite 5+ connection drops during training', { skip, timeout: 420_000 }, async () => {
  // Longer training so several drops land inside it; --parallel 2 gives each trainer one thread
  // (two OpenMP threads per trainer crawl on a busy two-core machine).
  const { dir, remote } = newSshExperiment('addition-faults', (spec) => {
    const baseline = spec.baseline as { train: Record<string, unknown> };
    baseline.train.epochs = 5;
  });
  const child = trexAsync(['run', dir, '--backend', 'ssh:trex-test', '--budget', '3', '--parallel', '2'], sshEnv({ TREX_SSH_DEBUG: '1' }));
  const run = collect(child);
  let drops = 0;
  let lastDrop = 0;
  const lastSize = new Map<string, number>();
  while (child.exitCode === null) {
    const live = trainingNow(dir, remote);
    // Training is under way (the local log grew since we last looked): cut every connection.
    const growing = live.some((n) => n.localLog > (lastSize.get(n.id) ?? 0));
    for (const n of live) lastSize.set(n.id, n.localLog);
    // Eight drops, 0.8 s apart: enough to prove the point without starving a loaded machine.
    if (growing && drops < 8 && Date.now() - lastDrop > 800) {
      if (h.dropConnections() > 0) {
        drops++;
        lastDrop = Date.now();
      }
    }
    await Promise.race([run.done, sleep(100)]);
  }
  const code = await run.done;
  assert.equal(code, 0, run.out());
  assert.ok(drops >= 5, `connections dropped during training ${drops} times`);
  const reconnects = (run.out().match(/reconnected/g) ?? []).length;
  assert.ok(reconnects >= 5, `the backend reconnected ${reconnects} times`);
  const s = status(dir);
  assert.equal(s.runs, 3);
  assert.equal(s.nodes.filter((n) => n.status === 'failed').length, 0, JSON.stringify(s.nodes.map((n) => [n.id, n.status, n.failure])));
  assert.ok(assertLogsMatchRemote(dir, remote) >= 6);
});
