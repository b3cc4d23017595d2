// Log streaming through the ssh backend against a loopback sshd: latency from a line being
// appended on the host to it landing in the local log (read the way the executor does: drain,
// poll, sleep 100 ms), and bulk throughput compared with plain `ssh host cat file` (timed from its
// first byte, so its connection setup is left out; the backend's connection is already up).
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StageJob } from '../../src/engine/backends/backend';
import { SshBackend } from '../../src/engine/backends/ssh/sshBackend';
import { runnerDir } from '../../src/engine/packageDirs';
import { SshdHarness } from '../../test/engine/backends/ssh/sshd';

export interface BenchRow {
  name: string;
  value: number;
  unit: string;
  target?: string;
  met?: boolean;
}

const EXECUTOR_POLL_MS = 100; // the executor's default
const CHUNK = 1 << 20; // the executor's LOG_CHUNK


function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

async function waitExited(backend: SshBackend, job: StageJob): Promise<void> {
  for (;;) {
    const st = await backend.poll(job);
    if (st.state === 'exited' || st.state === 'lost') return;
    await sleep(50);
  }
}

/** Lines stamped with the host's clock (same machine here) when written; latency measured on arrival. */
async function measureLatency(backend: SshBackend, lines: number, localLog: string): Promise<number[]> {
  // Irregular gaps (20–150 ms) so arrivals do not lock onto the poll period.
  const script = `for i in $(seq 1 ${lines}); do printf 'stamp %s\\n' "$EPOCHREALTIME"; sleep "$(printf '0.%03d' $(( (RANDOM % 130) + 20 )))"; done`;
  const job: StageJob = { runDir: 'bench/latency/run', argv: ['bash', '-c', script], env: {}, inputs: [], outputs: [] };
  await backend.reset(job);
  await backend.start(job);
  const latencies: number[] = [];
  let offset = 0;
  let partial = '';
  const drain = async () => {
    for (;;) {
      const chunk = await backend.readLog(job, offset, CHUNK);
      const now = Date.now();
      offset += chunk.length;
      appendFileSync(localLog, chunk);
      const text = partial + chunk.toString('utf8');
      const parts = text.split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) {
        const m = /^stamp (\d+)[.,](\d+)$/.exec(line);
        if (m) latencies.push(now - (Number(m[1]) * 1000 + Number(`0.${m[2]}`) * 1000));
      }
      if (chunk.length < CHUNK) return;
    }
  };
  for (;;) {
    await drain();
    const st = await backend.poll(job);
    if (st.state === 'exited' || st.state === 'lost') break;
    await sleep(EXECUTOR_POLL_MS);
  }
  await drain();
  return latencies;
}

/** Plain OpenSSH streaming a file to us: seconds from its first byte to its exit, so connection setup is left out. */
function sshCat(h: SshdHarness, file: string): Promise<{ seconds: number; setupS: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    let first: bigint | undefined;
    const child = spawn('ssh', [...h.sshArgs(), `cat '${file}'`], { stdio: ['ignore', 'pipe', 'ignore'] });
    let bytes = 0;
    child.stdout.on('data', (d: Buffer) => {
      first ??= process.hrtime.bigint();
      bytes += d.length;
    });
    child.once('error', reject);
    child.once('close', (code) => {
      const t1 = process.hrtime.bigint();
      if (code !== 0 || first === undefined) return reject(new Error(`ssh cat exited ${code}`));
      resolve({ seconds: Number(t1 - first) / 1e9, setupS: Number(first - t0) / 1e9, bytes });
    });
  });
}

/** Seconds to drain the whole log through the backend the way the executor does: 1 MiB reads from an offset. */
async function drainBackend(backend: SshBackend, job: StageJob): Promise<{ seconds: number; bytes: number }> {
  const t0 = process.hrtime.bigint();
  let offset = 0;
  for (;;) {
    const chunk = await backend.readLog(job, offset, CHUNK);
    offset += chunk.length;
    if (chunk.length < CHUNK) break;
  }
  return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, bytes: offset };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Both ways, interleaved (the machine's load changes between runs), medians of `reps`. */
async function measureThroughput(backend: SshBackend, h: SshdHarness, remoteRoot: string, sizeMb: number, reps: number): Promise<{ backendMBs: number; sshMBs: number; sshSetupS: number; bytes: number }> {
  const job: StageJob = { runDir: 'bench/bulk/run', argv: ['bash', '-c', `head -c ${sizeMb << 20} /dev/urandom | base64 -w 200`], env: {}, inputs: [], outputs: [] };
  await backend.reset(job);
  await backend.start(job);
  await waitExited(backend, job);
  const file = join(remoteRoot, job.runDir, 'output.log');
  const ours: number[] = [];
  const plain: number[] = [];
  const setup: number[] = [];
  let bytes = 0;
  for (let i = 0; i < reps; i++) {
    const b = await drainBackend(backend, job);
    const c = await sshCat(h, file);
    if (c.bytes !== b.bytes) throw new Error(`ssh cat read ${c.bytes} bytes, the backend ${b.bytes}`);
    bytes = b.bytes;
    ours.push(b.bytes / 2 ** 20 / b.seconds);
    plain.push(c.bytes / 2 ** 20 / Math.max(1e-3, c.seconds));
    setup.push(c.setupS);
  }
  return { backendMBs: median(ours), sshMBs: median(plain), sshSetupS: median(setup), bytes };
}

export async function benchSshLogStreaming(opts: { quick: boolean }): Promise<{ rows: BenchRow[] }> {
  const h = await SshdHarness.start();
  const exp = mkdtempSync(join(tmpdir(), 'trex-bench-ssh-'));
  const remoteRoot = join(h.dir, 'remote bench');
  let backend: SshBackend | undefined;
  try {
    backend = new SshBackend({
      experimentDir: exp,
      experimentName: 'bench-ssh',
      host: h.host,
      remoteDir: remoteRoot,
      runnerDir: runnerDir(),
      sshConfigPath: h.sshConfigPath,
      knownHostsPath: h.knownHostsPath,
      minFreeMb: 10,
    });
    await backend.preflight();
    const latencies = (await measureLatency(backend, opts.quick ? 40 : 200, join(exp, 'latency.log'))).sort((a, b) => a - b);
    const p50 = percentile(latencies, 50);
    const p95 = percentile(latencies, 95);
    const tp = await measureThroughput(backend, h, remoteRoot, opts.quick ? 16 : 64, opts.quick ? 3 : 5);
    const ratio = tp.backendMBs / tp.sshMBs;
    return {
      rows: [
        { name: 'ssh log streaming latency p50', value: round(p50), unit: 'ms' },
        { name: 'ssh log streaming latency p95', value: round(p95), unit: 'ms', target: '≤ 250 ms', met: p95 <= 250 },
        { name: 'ssh log lines measured', value: latencies.length, unit: 'lines' },
        { name: 'ssh log size streamed', value: round(tp.bytes / 2 ** 20), unit: 'MiB' },
        { name: 'ssh log throughput (backend readLog, median)', value: round(tp.backendMBs), unit: 'MiB/s' },
        { name: 'ssh log throughput (plain ssh cat from its first byte, median)', value: round(tp.sshMBs), unit: 'MiB/s' },
        { name: 'ssh log throughput vs ssh cat', value: Math.round(ratio * 100) / 100, unit: '×', target: '≥ 0.5×', met: ratio >= 0.5 },
        { name: 'plain ssh connection setup', value: round(tp.sshSetupS * 1000), unit: 'ms' },
      ],
    };
  } finally {
    await backend?.close();
    await h.cleanup();
    rmSync(exp, { recursive: true, force: true });
  }
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}
