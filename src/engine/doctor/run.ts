// Runs the probe where stages would run: here with the local backend's pythons, or over ssh.
import { spawn } from 'node:child_process';
import { torchPythonCandidates } from '../backends/python';
import { probeHost } from '../backends/ssh/preflight';
import type { SshConnection } from '../backends/ssh/connection';
import { resolveRemoteRoot } from '../backends/ssh/remotePaths';
import { DEFAULT_REMOTE_PYTHONS, SshBackend } from '../backends/ssh/sshBackend';
import { assess, type DoctorReport } from './assess';
import { hostProbeScript, parseHostProbe, probeSource } from './hostProbe';

export interface LocalDoctorOptions {
  runnerDir: string;
  /** Where training writes (free disk is measured there). */
  workDir: string;
  /** compute.python, when an experiment names one. */
  python?: string;
}

function runBash(script: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(Buffer.concat(out).toString('utf8')) : reject(new Error(`the probe failed (exit ${code}): ${Buffer.concat(err).toString('utf8').slice(-300)}`))));
  });
}

export async function doctorLocal(opts: LocalDoctorOptions): Promise<DoctorReport> {
  const script = hostProbeScript(opts.workDir, torchPythonCandidates(opts.python), probeSource(opts.runnerDir), false);
  return assess(parseHostProbe(await runBash(script)), 'local');
}

export interface SshDoctorOptions {
  runnerDir: string;
  remoteRoot: string;
  pythons: readonly string[];
  backend: string;
  note?: string;
}

export async function doctorSsh(conn: SshConnection, opts: SshDoctorOptions): Promise<DoctorReport> {
  const host = await probeHost(conn, opts.remoteRoot, opts.pythons, 0, opts.runnerDir, false);
  return assess(host.probe, opts.backend, { note: opts.note });
}

export interface RemoteDoctorRequest {
  /** ssh:<host> or slurm:<host>. */
  backend: string;
  runnerDir: string;
  acceptNewHost?: boolean;
}

/** Doctor for `--backend ssh:<host>|slurm:<host>`: the host's default pythons, work dir ~/trex-runs. */
export async function doctorRemote(req: RemoteDoctorRequest): Promise<DoctorReport> {
  const m = /^(ssh|slurm):(.+)$/.exec(req.backend);
  if (!m) throw new Error(`trex doctor: backend '${req.backend}' is not one of local, ssh:<host>, slurm:<host>`);
  const [, kind, host] = m;
  // The SLURM backend only submits batch jobs; a probe job could wait in the queue for hours.
  const note = kind === 'slurm' ? `Probed over ssh on the SLURM login host ${host}, not on a compute node: the nodes' GPUs and packages may differ.` : undefined;
  const backend = new SshBackend({ experimentDir: process.cwd(), experimentName: 'doctor', host, runnerDir: req.runnerDir, acceptNewHost: req.acceptNewHost });
  try {
    const conn = backend.connection;
    await conn.ensureConnected();
    const home = (await conn.exec(`printf '%s' "$HOME"`, { retry: true })).stdout.toString('utf8');
    if (!home.startsWith('/') || home.includes('\n')) throw new Error(`ssh ${conn.describe}: unexpected $HOME ${JSON.stringify(home.slice(0, 200))}`);
    const remoteRoot = resolveRemoteRoot('~/trex-runs', home);
    return await doctorSsh(conn, { runnerDir: req.runnerDir, remoteRoot, pythons: DEFAULT_REMOTE_PYTHONS, backend: req.backend, note });
  } finally {
    await backend.close();
  }
}
