// Checks a host before the first stage runs there: shell tools, a Python that imports torch, free
// disk in the work dir, GPUs. The probe is the one `trex doctor` uses (src/engine/doctor); here each
// problem that stops a stage becomes one line of the error, with how to fix it.
import { BackendError } from '../backend';
import { hostProbeScript, parseHostProbe, probeSource, type HostProbe } from '../../doctor/hostProbe';
import { hasVersion } from '../../doctor/probeReport';
import type { SshConnection } from './connection';
import { parseNvidiaSmi, type GpuInfo } from './gpus';

export interface HostReport {
  python?: { path: string; version: string; torch: string; cudaAvailable: boolean; cudaDevices: number };
  freeMb?: number;
  gpus: GpuInfo[];
  problems: { what: string; fix: string }[];
  /** Everything the probe saw (packages, isolation), for `trex doctor`. */
  probe: HostProbe;
}

/** Turns the probe's output into a report; unexpected output is an error, not ignored. */
export function parsePreflight(output: string, pythons: readonly string[], minFreeMb: number, remoteRoot: string): HostReport {
  const probe = parseHostProbe(output);
  const report: HostReport = { gpus: [], problems: [], probe };
  for (const tool of probe.missingTools) {
    report.problems.push({ what: `the command '${tool}' is missing`, fix: 'Install it (Debian/Ubuntu: sudo apt-get install bash tar coreutils util-linux).' });
  }
  const seen = probe.chosen?.report;
  if (seen && hasVersion(seen.torch)) {
    const t = seen.torch;
    report.python = { path: probe.chosen!.path, version: seen.python.version, torch: t.version, cudaAvailable: t.cudaAvailable, cudaDevices: t.cudaDevices };
  }
  if (seen?.nvidiaSmi) {
    if (seen.nvidiaSmi.rc === 0) report.gpus = parseNvidiaSmi(seen.nvidiaSmi.out);
    else report.problems.push({ what: `nvidia-smi is installed but fails: ${seen.nvidiaSmi.out.split('\n')[0].slice(0, 200)}`, fix: 'Check the NVIDIA driver on the host (nvidia-smi must list the GPUs), or uninstall nvidia-smi on a CPU-only host.' });
  }
  if (!report.python) {
    const failures = probe.attempts.map((a) => (!a.found ? `'${a.python}' not found` : `${a.python} cannot import torch (${(a.report && !hasVersion(a.report.torch) ? a.report.torch.error : a.error ?? '').slice(0, 200)})`));
    report.problems.push({
      what: `no Python with PyTorch (tried ${pythons.join(', ')}: ${failures.join('; ')})`,
      fix: 'Install PyTorch on the host (Debian/Ubuntu: sudo apt-get install python3-torch; or python3 -m pip install torch), or set compute.python in trex.yaml to a python that has it.',
    });
  } else if (report.gpus.length > 0 && report.python.cudaDevices === 0) {
    report.problems.push({
      what: `nvidia-smi lists ${report.gpus.length} GPU(s) but torch ${report.python.torch} in ${report.python.path} sees none`,
      fix: 'Install a CUDA build of PyTorch (https://pytorch.org/get-started/locally/) matching the driver.',
    });
  }
  if (seen) {
    if (hasVersion(seen.disk)) report.freeMb = seen.disk.freeMb;
    if (report.freeMb === undefined) {
      report.problems.push({ what: `cannot create or measure the work dir ${remoteRoot}`, fix: 'Check permissions, or set compute.remote_dir in trex.yaml to a writable folder.' });
    } else if (report.freeMb < minFreeMb) {
      report.problems.push({ what: `only ${report.freeMb} MB free in ${remoteRoot} (need ${minFreeMb} MB)`, fix: 'Free some disk space on the host, or set compute.remote_dir to a bigger disk.' });
    }
  }
  return report;
}

/** Probes the host (`create`: make the work dir) and reports what it found, problems included; throws only when it cannot ask. */
export async function probeHost(conn: SshConnection, remoteRoot: string, pythons: readonly string[], minFreeMb: number, runnerDir: string, create = true): Promise<HostReport> {
  for (const p of pythons) if (p.startsWith('-') || p.trim() === '') throw new BackendError(`invalid python ${JSON.stringify(p)} in compute.python`);
  const r = await conn.exec(hostProbeScript(remoteRoot, pythons, probeSource(runnerDir), create), { retry: true, timeoutMs: 180_000 });
  try {
    return parsePreflight(r.stdout.toString('utf8'), pythons, minFreeMb, remoteRoot);
  } catch (e) {
    throw new BackendError(`ssh ${conn.describe}: preflight check failed: ${(e as Error).message}${r.stderr ? ` (stderr: ${r.stderr.trim().slice(0, 300)})` : ''}`);
  }
}

export async function checkHost(conn: SshConnection, remoteRoot: string, pythons: readonly string[], minFreeMb: number, runnerDir: string): Promise<HostReport> {
  const report = await probeHost(conn, remoteRoot, pythons, minFreeMb, runnerDir);
  if (report.problems.length) {
    const what = report.problems.map((p) => `  - ${p.what}`).join('\n');
    const fixes = [...new Set(report.problems.map((p) => p.fix))].join('\n  ');
    throw new BackendError(`ssh ${conn.describe} cannot run TREX stages yet:\n${what}`, fixes);
  }
  return report;
}
