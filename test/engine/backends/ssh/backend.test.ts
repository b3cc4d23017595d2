// The ssh backend against a real loopback sshd: a stage end to end, connection drops and sshd
// restarts mid-job, a killed client re-attaching, cancel, and hostile paths.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { HOSTILE, follow, loopJob, localExperiment, makeBackend, processGroupAlive, sleep, writeInput, expectedLoopLog } from './helpers';
import { SshdHarness, sshdAvailable } from './sshd';
import { GpuLeases } from '../../../../src/engine/backends/ssh/gpus';
import { shellJoin } from '../../../../src/engine/backends/ssh/quote';

const skip = sshdAvailable() ? false : 'OpenSSH server (/usr/sbin/sshd) is not installed';
let h: SshdHarness;

before(async () => {
  if (!skip) h = await SshdHarness.start();
});
after(async () => {
  await h?.cleanup();
});

test('a stage runs end to end through sshd: inputs up, log streamed byte-exact, outputs back', { skip }, async () => {
  const exp = localExperiment();
  const remote = join(h.dir, 'remote-e2e');
  writeInput(exp, 'n1', 'input for n1\n');
  const backend = makeBackend(h, exp, remote);
  try {
    await backend.preflight();
    assert.equal(backend.remoteRoot, remote);
    assert.ok(backend.hostReport?.python?.torch, 'torch version reported');
    assert.equal(backend.capacity, 1, 'no GPU here: capacity is the configured slots');
    const job = loopJob('n1', 50, 0.02);
    assert.equal((await backend.poll(job)).state, 'none');
    await backend.start(job);
    const logFile = join(exp, 'n1-train.log');
    writeFileSync(logFile, '');
    const st = await follow(backend, job, logFile);
    assert.equal(st.state, 'exited');
    assert.equal(st.exitCode, 0);
    assert.ok(st.where?.startsWith('trex-test'));
    assert.equal(readFileSync(logFile, 'utf8'), expectedLoopLog('n1', 50));
    assert.deepEqual(readFileSync(logFile), readFileSync(join(remote, 'nodes/n1/run/train/output.log')));
    assert.equal(existsSync(join(exp, 'nodes/n1/out/result.txt')), false, 'outputs come back only with fetchResults');
    await backend.fetchResults(job);
    assert.equal(readFileSync(join(exp, 'nodes/n1/out/result.txt'), 'utf8'), 'input for n1\n');
    assert.equal(await backend.exists('nodes/n1/out/result.txt'), true);
    assert.equal(await backend.exists('nodes/n1/nothing-here'), false);
    await assert.rejects(backend.exists('../outside'), /not inside the experiment/);
    // A failing command reports its exit code; reset clears the run folder for a fresh start.
    const failing = loopJob('n1', 3, 0, 7);
    await backend.reset(failing);
    assert.equal((await backend.poll(failing)).state, 'none');
    await backend.start(failing);
    const st2 = await follow(backend, failing, join(exp, 'n1-fail.log'));
    assert.equal(st2.exitCode, 7);
  } finally {
    await backend.close();
  }
});

test('the job survives dropped connections; the log comes back complete and byte-identical', { skip }, async () => {
  const exp = localExperiment();
  const remote = join(h.dir, 'remote-drop');
  writeInput(exp, 'n2', 'x\n');
  const backend = makeBackend(h, exp, remote);
  try {
    const job = loopJob('n2', 120, 0.025);
    await backend.start(job);
    const logFile = join(exp, 'n2.log');
    writeFileSync(logFile, '');
    let drops = 0;
    const st = await follow(backend, job, logFile, {
      onRound: (round) => {
        if (round % 5 === 2 && drops < 4) {
          drops += h.dropConnections() > 0 ? 1 : 0;
        }
      },
    });
    assert.ok(drops >= 3, `dropped ${drops} times`);
    assert.ok(backend.connection.stats.reconnects >= 3, `reconnected ${backend.connection.stats.reconnects} times`);
    assert.equal(st.exitCode, 0);
    assert.deepEqual(readFileSync(logFile), readFileSync(join(remote, 'nodes/n2/run/train/output.log')));
    assert.equal(readFileSync(logFile, 'utf8'), expectedLoopLog('n2', 120));
  } finally {
    await backend.close();
  }
});

test('sshd restarted mid-job: the backend reconnects and the job finishes with its full log', { skip }, async () => {
  const exp = localExperiment();
  const remote = join(h.dir, 'remote-restart');
  writeInput(exp, 'n3', 'x\n');
  const backend = makeBackend(h, exp, remote);
  try {
    const job = loopJob('n3', 80, 0.025);
    await backend.start(job);
    const logFile = join(exp, 'n3.log');
    writeFileSync(logFile, '');
    let restarted = false;
    const st = await follow(backend, job, logFile, {
      onRound: async (round) => {
        if (round === 3 && !restarted) {
          restarted = true;
          await h.restart(700); // down for 0.7 s: the job keeps writing meanwhile
        }
      },
    });
    assert.ok(restarted);
    assert.equal(st.exitCode, 0);
    assert.ok(backend.connection.stats.reconnects >= 1);
    assert.deepEqual(readFileSync(logFile), readFileSync(join(remote, 'nodes/n3/run/train/output.log')));
    assert.equal(readFileSync(logFile, 'utf8'), expectedLoopLog('n3', 80));
  } finally {
    await backend.close();
  }
});

test('a killed client process: a new backend instance re-attaches and resumes the log from its offset', { skip }, async () => {
  const exp = localExperiment();
  const remote = join(h.dir, 'remote-reattach');
  writeInput(exp, 'n4', 'x\n');
  const logFile = join(exp, 'n4.log');
  writeFileSync(logFile, '');
  // A separate node process starts the job and streams part of its log, then is SIGKILLed.
  const child = spawn(process.execPath, [join(__dirname, 'reattachChild.js'), JSON.stringify({ harnessConfig: h.sshConfigPath, knownHosts: h.knownHostsPath, host: h.host, exp, remote, logFile })], { stdio: ['ignore', 'pipe', 'pipe'] });
  let childErr = '';
  child.stderr.on('data', (d: Buffer) => (childErr += d.toString()));
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && statSync(logFile).size < 200) await sleep(50);
  assert.ok(statSync(logFile).size >= 200, `child streamed part of the log (stderr: ${childErr})`);
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  const partial = statSync(logFile).size;
  assert.equal(existsSync(join(remote, 'nodes/n4/run/train/exit_code')), false, 'the job was still running when its client died');

  const backend = makeBackend(h, exp, remote);
  try {
    const job = loopJob('n4', 200, 0.03);
    const st0 = await backend.poll(job);
    assert.ok(st0.state === 'running' || (st0.state === 'exited' && st0.exitCode === 0), `the job outlived its client (${st0.state})`);
    const st = await follow(backend, job, logFile);
    assert.equal(st.exitCode, 0);
    assert.ok(statSync(logFile).size > partial);
    assert.deepEqual(readFileSync(logFile), readFileSync(join(remote, 'nodes/n4/run/train/output.log')), 'no lost and no duplicated bytes');
    assert.equal(readFileSync(logFile, 'utf8'), expectedLoopLog('n4', 200));
  } finally {
    await backend.close();
  }
});

test('cancel kills the whole process group and records the exit code', { skip }, async () => {
  const exp = localExperiment();
  const remote = join(h.dir, 'remote-cancel');
  const backend = makeBackend(h, exp, remote);
  try {
    const job = {
      runDir: 'nodes/n5/run/train',
      argv: ['bash', '-c', 'echo started; sleep 300 & sleep 300 & wait'],
      env: {},
      inputs: [],
      outputs: [],
    };
    await backend.start(job);
    let st = await backend.poll(job);
    for (let i = 0; i < 50 && st.state !== 'running'; i++) st = await backend.poll(job).then(async (s) => (await sleep(50), s));
    assert.equal(st.state, 'running');
    const pgid = Number(readFileSync(join(remote, 'nodes/n5/run/train/pid'), 'utf8'));
    assert.ok(processGroupAlive(pgid));
    await backend.cancel(job);
    const after = await backend.poll(job);
    assert.equal(after.state, 'exited');
    assert.ok(after.exitCode === 143 || after.exitCode === 137, `exit ${after.exitCode}`);
    for (let i = 0; i < 50 && processGroupAlive(pgid); i++) await sleep(100);
    assert.equal(processGroupAlive(pgid), false, 'no process of the group is left');
  } finally {
    await backend.close();
  }
});

test('hostile experiment and remote paths (spaces, quotes, $, backticks) work', { skip }, async () => {
  const exp = localExperiment(`trex ssh 'q' "d" $HOME \`x\` -`);
  const remote = join(h.dir, `re mote 'it''s' "dq" $(touch PWNED) \`id\` $HOME -rf`);
  writeInput(exp, 'n6', 'hostile ok\n');
  const backend = makeBackend(h, exp, remote);
  try {
    const job = loopJob('n6', 5, 0);
    job.env.WEIRD = `it's "$(touch PWNED)" \`id\` $HOME\nsecond line`;
    job.argv = ['bash', '-c', `mkdir -p nodes/n6/out && printf '%s' "$WEIRD" > nodes/n6/out/env.txt; ${job.argv[2]}`];
    job.outputs.push('nodes/n6/out/env.txt');
    await backend.start(job);
    const st = await follow(backend, job, join(exp, 'n6.log'));
    assert.equal(st.exitCode, 0, readFileSync(join(exp, 'n6.log'), 'utf8'));
    await backend.fetchResults(job);
    assert.equal(readFileSync(join(exp, 'nodes/n6/out/result.txt'), 'utf8'), 'hostile ok\n');
    assert.equal(readFileSync(join(exp, 'nodes/n6/out/env.txt'), 'utf8'), job.env.WEIRD);
    assert.equal(existsSync(join(remote, 'nodes/n6/run/train/output.log')), true);
    assert.equal(existsSync(join(h.dir, 'PWNED')) || existsSync(join(remote, 'PWNED')) || existsSync('/root/PWNED'), false, 'nothing was executed from a path');
  } finally {
    await backend.close();
  }
});

test('credential-looking variables never reach the remote command file', { skip }, async () => {
  const exp = localExperiment();
  const remote = join(h.dir, 'remote-secrets');
  const backend = makeBackend(h, exp, remote);
  try {
    const job = { runDir: 'nodes/n7/run/x', argv: ['bash', '-c', 'echo "[$OPENAI_API_KEY][$TREX_THREADS]"'], env: { OPENAI_API_KEY: 'sk-secret', TREX_THREADS: '1' }, inputs: [], outputs: [] };
    await backend.start(job);
    const st = await follow(backend, job, join(exp, 'n7.log'));
    assert.equal(st.exitCode, 0);
    assert.equal(readFileSync(join(exp, 'n7.log'), 'utf8'), '[][1]\n');
    assert.doesNotMatch(readFileSync(join(remote, 'nodes/n7/run/x/cmd'), 'utf8'), /sk-secret/);
  } finally {
    await backend.close();
  }
});

test('hostile strings reach the remote shell unchanged, in plain execs and in command sessions', { skip }, async () => {
  const backend = makeBackend(h, localExperiment(), join(h.dir, 'remote-quote'));
  try {
    const cmd = `printf '%s\\0' ${shellJoin(HOSTILE)}`;
    const plain = await backend.connection.exec(cmd);
    assert.deepEqual(plain.stdout.toString('utf8').split('\0').slice(0, -1), HOSTILE);
    await backend.preflight(); // turns command sessions on
    const session = await backend.connection.exec(cmd);
    assert.deepEqual(session.stdout.toString('utf8').split('\0').slice(0, -1), HOSTILE);
    // Binary output, stderr and exit codes come back exactly.
    const bin = await backend.connection.exec(`head -c 300000 /dev/urandom | tee ${join(h.dir, 'rand.bin')}; echo oops >&2; exit 42`);
    assert.equal(bin.code, 42);
    assert.equal(bin.stderr, 'oops\n');
    assert.ok(bin.stdout.equals(readFileSync(join(h.dir, 'rand.bin'))));
    const input = Buffer.from(Array.from({ length: 70000 }, (_, i) => i % 256));
    const echoed = await backend.connection.exec('cat', { stdin: input });
    assert.ok(echoed.stdout.equals(input), 'stdin passes through exactly');
  } finally {
    await backend.close();
  }
});

test('GPU assignment: each running stage gets its own CUDA_VISIBLE_DEVICES; a re-attached stage keeps its GPU', { skip }, async () => {
  const exp = localExperiment();
  const remote = join(h.dir, 'remote-gpus');
  const backend = makeBackend(h, exp, remote);
  const second = makeBackend(h, exp, remote);
  try {
    await backend.preflight();
    await second.preflight();
    // This machine has no GPU: give the host's lease table a two-GPU inventory, as nvidia-smi would.
    const leases = GpuLeases.forHost(`${h.user}@127.0.0.1:${h.port}`);
    leases.setInventory([
      { index: 0, memoryUsedMb: 900, memoryTotalMb: 81559 },
      { index: 1, memoryUsedMb: 0, memoryTotalMb: 81559 },
    ]);
    assert.equal(backend.capacity, 2);
    const job = (n: string) => ({ runDir: `nodes/${n}/run/train`, argv: ['bash', '-c', 'echo "gpu=$CUDA_VISIBLE_DEVICES order=$CUDA_DEVICE_ORDER"; sleep 1.5'], env: {}, inputs: [], outputs: [] });
    const a = job('g1');
    const b = job('g2');
    await backend.start(a);
    await backend.start(b);
    const [sa, sb] = [await backend.poll(a), await backend.poll(b)];
    assert.equal(sa.where, 'trex-test gpu 1', 'the idle GPU first');
    assert.equal(sb.where, 'trex-test gpu 0');
    // Another backend instance (a restarted TREX) learns the assignment from the run folder.
    leases.release(join(remote, 'nodes/g1/run/train'));
    assert.equal((await second.poll(a)).where, 'trex-test gpu 1');
    assert.equal(leases.holder(join(remote, 'nodes/g1/run/train')), 1);
    const la = await follow(backend, a, join(exp, 'g1.log'));
    const lb = await follow(backend, b, join(exp, 'g2.log'));
    assert.equal(la.exitCode, 0);
    assert.equal(lb.exitCode, 0);
    assert.equal(readFileSync(join(exp, 'g1.log'), 'utf8'), 'gpu=1 order=PCI_BUS_ID\n');
    assert.equal(readFileSync(join(exp, 'g2.log'), 'utf8'), 'gpu=0 order=PCI_BUS_ID\n');
    assert.equal(leases.holder(join(remote, 'nodes/g1/run/train')), undefined, 'released when the stage ended');
  } finally {
    GpuLeases.forHost(`${h.user}@127.0.0.1:${h.port}`).setInventory([]);
    await backend.close();
    await second.close();
  }
});
