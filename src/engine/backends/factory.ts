// Builds the backend named on the command line or in trex.yaml (compute.backend).
import { cpus } from 'node:os';
import type { TaskSpec } from '../spec/types';
import { runnerDir } from '../packageDirs';
import type { Backend } from './backend';
import { LocalBackend } from './local';
import { PoolBackend, poolMembers } from './pool';
import { SlurmBackend, slurmOptionsFromSpec } from './slurm';
import { SshBackend, type SshBackendOptions } from './ssh/sshBackend';
import { inlineSshFromSpec, sshHostFromRequest } from './ssh/specOptions';

export interface BackendRequest {
  name: string; // local | ssh:<host> | slurm:<host> | pool | pool:<member>,<member>… (member: ssh:<host>[=slots] | slurm:<host>[=slots])
  experimentDir: string;
  spec: TaskSpec;
  parallel: number;
  acceptNewHost?: boolean;
  /** Asks the user to trust an unknown host key (the extension prompts; the CLI uses acceptNewHost). */
  confirmNewHost?: (host: string, fingerprint: string) => Promise<boolean>;
}

export async function createBackend(req: BackendRequest): Promise<Backend> {
  const [kind] = req.name.split(':', 1);
  switch (kind) {
    case 'local':
      return new LocalBackend({ experimentDir: req.experimentDir, runnerDir: runnerDir(), python: req.spec.compute?.python, capacity: Math.max(req.parallel, cpus().length) });
    case 'ssh': {
      const compute = req.spec.compute;
      const inline = inlineSshFromSpec(compute);
      return new SshBackend({
        experimentDir: req.experimentDir,
        experimentName: req.spec.name,
        host: sshHostFromRequest(req.name, compute, inline),
        inline,
        remoteDir: compute?.remote_dir,
        python: compute?.python,
        runnerDir: runnerDir(),
        remoteCacheDir: process.env.TREX_REMOTE_CACHE || undefined,
        slots: Math.max(1, req.parallel),
        acceptNewHost: req.acceptNewHost,
        confirmNewHost: req.confirmNewHost,
      });
    }
    case 'slurm': {
      const compute = req.spec.compute;
      const inline = inlineSshFromSpec(compute);
      const host = sshHostFromRequest(req.name.replace(/^slurm:/, 'ssh:'), compute, inline);
      return new SlurmBackend({ ...sshOptions(req, host), inline, slurm: slurmOptionsFromSpec(compute), maxJobs: Math.max(1, req.parallel) });
    }
    case 'pool':
      return createPool(req);
    default:
      throw new Error(`backend '${req.name}' is not available (use local, ssh:<host>, slurm:<host> or pool:<member>,…)`);
  }
}

/** What every ssh-reached backend (ssh, slurm, pool members) needs, for one host alias. */
function sshOptions(req: BackendRequest, host: string): SshBackendOptions {
  const compute = req.spec.compute;
  return {
    experimentDir: req.experimentDir,
    experimentName: req.spec.name,
    host,
    remoteDir: compute?.remote_dir,
    python: compute?.python,
    runnerDir: runnerDir(),
    remoteCacheDir: process.env.TREX_REMOTE_CACHE || undefined,
    acceptNewHost: req.acceptNewHost,
    confirmNewHost: req.confirmNewHost,
  };
}

/** Members are Host aliases of the ssh config (compute.ssh does not apply); one connection per host. */
function createPool(req: BackendRequest): PoolBackend {
  const members = poolMembers(req.name, req.spec.compute?.hosts);
  const logins = new Map<string, SshBackend>();
  const backends = members.map((m) => {
    if (m.kind === 'ssh') {
      const b = new SshBackend({ ...sshOptions(req, m.host), slots: m.slots ?? 1 });
      logins.set(m.host, b);
      return b;
    }
    return undefined;
  });
  const all = members.map((m, i) => backends[i] ?? new SlurmBackend({ ...sshOptions(req, m.host), login: logins.get(m.host), slurm: slurmOptionsFromSpec(req.spec.compute), maxJobs: m.slots ?? 4 }));
  return new PoolBackend(all, { experimentDir: req.experimentDir, log: (l) => process.stderr.write(`${l}\n`) });
}
