// The slurm backend: each stage is a SLURM batch job submitted over ssh on a login node. The ssh
// backend provides the connection, preflight (python, disk), the runtime upload, file sync, log
// reads and resets; this class adds sbatch / squeue / sacct / scontrol / scancel on top of it.
// The run folder contract is the detached-job one (jobScripts.ts) plus slurm_job_id, kept on the
// filesystem the login node shares with the compute nodes.
import { createHash } from 'node:crypto';
import { BackendError, type Backend, type JobStatus, type StageJob } from '../backend';
import { isSecretEnvName } from '../../secrets';
import { ConnectionLostError } from '../ssh/connection';
import { shellQuote } from '../ssh/quote';
import { expandRemotePath, remoteJoin } from '../ssh/remotePaths';
import { SshBackend, type SshBackendOptions } from '../ssh/sshBackend';
import { ensureRuntime, type RemoteRuntime } from '../ssh/sync';
import { uploadPaths } from '../ssh/sync';
import { decideStatus } from './jobStatus';
import { prepareLoginNode } from './loginNode';
import { sbatchFlags, type SlurmJobOptions } from './options';
import { parseSbatchParsable } from './parsers';
import { JOB_ID_FILE, parseProbe, probeScript } from './probe';
import { ALREADY_SUBMITTED, findByNameCommand, slurmJobName, submitCommand } from './submit';

export interface SlurmBackendOptions extends SshBackendOptions {
  /** compute.slurm of trex.yaml. */
  slurm?: SlurmJobOptions;
  /** Stage jobs TREX keeps submitted at once (the queue holds any beyond what the cluster runs). */
  maxJobs?: number;
  /** Poll interval (default 2 s: squeue on a shared controller should not be hammered). */
  pollIntervalMs?: number;
  /**
   * The login node's ssh backend, when one already exists for this host (a pool with ssh:<h> and
   * slurm:<h>): one connection per host.
   */
  login?: SshBackend;
  /** How long cancel waits for SLURM to end the job (default 60 s). */
  cancelWaitMs?: number;
}


interface Ready {
  root: string;
  runtime: RemoteRuntime;
  python: string;
  cache: string;
  batchScript: string;
}

export class SlurmBackend implements Backend {
  readonly name: string;
  readonly capacity: number;
  readonly pollIntervalMs: number;
  /** The login node, as an ssh backend (connection, preflight, sync, logs). */
  readonly login: SshBackend;
  private readyPromise?: Promise<Ready>;

  constructor(private readonly opts: SlurmBackendOptions) {
    this.name = `slurm:${opts.host}`;
    this.login = opts.login ?? new SshBackend(opts);
    this.capacity = Math.max(1, opts.maxJobs ?? opts.slots ?? 1);
    this.pollIntervalMs = opts.pollIntervalMs ?? 2000;
  }

  private get conn() {
    return this.login.connection;
  }

  async preflight(): Promise<void> {
    await this.ready();
  }

  private ready(): Promise<Ready> {
    if (!this.readyPromise) {
      this.readyPromise = this.prepare();
      this.readyPromise.catch(() => (this.readyPromise = undefined)); // retry after a fix
    }
    return this.readyPromise;
  }

  private async prepare(): Promise<Ready> {
    await this.login.preflight();
    const root = this.login.remoteRoot!;
    const python = this.login.hostReport!.python!.path;
    const facts = await prepareLoginNode(this.conn, root);
    // Already uploaded by the login preflight: this only looks up its paths (one short exec).
    const runtime = await ensureRuntime(this.conn, root, this.opts.runnerDir);
    const cache = this.opts.remoteCacheDir ? expandRemotePath(this.opts.remoteCacheDir, facts.home, 'the remote cache dir') : `${root}/.trex/cache`;
    return { root, runtime, python, cache, batchScript: facts.batchScript };
  }

  where(jobId: string): string {
    return `slurm:${jobId}@${this.opts.host}`;
  }

  private jobName(job: StageJob, runDir: string): string {
    const hash = createHash('sha256').update(runDir).digest('hex').slice(0, 8);
    return `${slurmJobName(job.label ?? job.runDir)}-${hash}`;
  }

  async start(job: StageJob): Promise<void> {
    const r = await this.ready();
    const runDir = remoteJoin(r.root, job.runDir);
    this.login.forgetLog(job);
    await uploadPaths(this.conn, this.opts.experimentDir, job.inputs, r.root);
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(job.env)) if (!isSecretEnvName(k)) env[k] = v;
    const argv = this.login.resolveArgv(job.argv, { python: r.python, runner: r.runtime.runner, cache: r.cache });
    const jobName = this.jobName(job, runDir);
    const cmd = submitCommand({ runDir, workDir: r.root, batchScript: r.batchScript, jobName, flags: sbatchFlags(this.opts.slurm ?? {}), env, argv });
    let result;
    try {
      result = await this.conn.exec(cmd, { retry: false, timeoutMs: 120_000 });
    } catch (e) {
      if (!(e instanceof ConnectionLostError)) throw e;
      // The link dropped mid-submit: the job may exist already. Adopt it rather than submit twice.
      if ((await this.poll(job)).state !== 'none') return;
      if (await this.adoptByName(runDir, jobName)) return;
      result = await this.conn.exec(cmd, { retry: true, timeoutMs: 120_000 });
    }
    if (result.code === ALREADY_SUBMITTED) return; // an earlier try got through
    if (result.code !== 0) {
      throw new BackendError(`slurm ${this.conn.describe}: sbatch refused ${job.label ?? job.runDir}: ${result.stderr.trim() || `exit ${result.code}`}`, 'Check compute.slurm (partition, account, time_limit, gpus) against `sinfo` on the login node.');
    }
    parseSbatchParsable(result.stdout.toString('utf8'));
  }

  private async adoptByName(runDir: string, jobName: string): Promise<boolean> {
    const found = await this.conn.exec(findByNameCommand(jobName), { retry: true });
    const ids = found.stdout.toString('utf8').split('\n').map((l) => l.trim()).filter((l) => /^\d+$/.test(l));
    if (found.code !== 0 || ids.length !== 1) return false;
    const f = shellQuote(`${runDir}/${JOB_ID_FILE}`);
    const w = await this.conn.exec(`printf '%s\\n' ${ids[0]} > ${f}.tmp && mv -- ${f}.tmp ${f}`, { retry: true });
    return w.code === 0;
  }

  async poll(job: StageJob): Promise<JobStatus> {
    const r = await this.ready();
    const runDir = remoteJoin(r.root, job.runDir);
    const out = await this.conn.exec(probeScript(runDir), { retry: true, timeoutMs: 180_000 });
    try {
      return decideStatus(parseProbe(out.stdout.toString('utf8')), (id) => this.where(id));
    } catch (e) {
      throw new BackendError(`slurm ${this.conn.describe}: ${(e as Error).message}${out.stderr ? ` (stderr: ${out.stderr.trim().slice(0, 300)})` : ''}`);
    }
  }

  readLog(job: StageJob, offset: number, maxBytes: number): Promise<Buffer> {
    return this.login.readLog(job, offset, maxBytes);
  }

  fetchResults(job: StageJob): Promise<void> {
    return this.login.fetchResults(job);
  }

  /** scancel, then wait until SLURM has ended it; a job that never ran still gets exit_code 143. */
  async cancel(job: StageJob): Promise<void> {
    const r = await this.ready();
    const runDir = remoteJoin(r.root, job.runDir);
    const idFile = shellQuote(`${runDir}/${JOB_ID_FILE}`);
    const c = await this.conn.exec(`id=$(cat ${idFile} 2>/dev/null) || exit 0; case $id in ''|*[!0-9]*) exit 0 ;; esac; scancel "$id"`, { retry: true, timeoutMs: 60_000 });
    if (c.code !== 0) throw new BackendError(`slurm ${this.conn.describe}: scancel for ${job.label ?? job.runDir} failed: ${c.stderr.trim() || `exit ${c.code}`}`);
    const deadline = Date.now() + (this.opts.cancelWaitMs ?? 60_000);
    for (;;) {
      const st = await this.poll(job);
      if (st.state === 'exited' || st.state === 'none' || st.state === 'lost') break;
      if (Date.now() > deadline) throw new BackendError(`slurm ${this.conn.describe}: job ${st.where ?? ''} of ${job.label ?? job.runDir} has not ended after scancel`);
      await new Promise((res) => setTimeout(res, 500));
    }
    const f = shellQuote(`${runDir}/exit_code`);
    const fin = shellQuote(`${runDir}/finished_at_ms`);
    await this.conn.exec(`[ -d ${shellQuote(runDir)} ] || exit 0; [ -f ${f} ] || { date +%s%3N > ${fin}; echo 143 > ${f}.tmp && mv -- ${f}.tmp ${f}; }`, { retry: true });
  }

  /** Cancels a job still queued or running, then removes the run folder. */
  async reset(job: StageJob): Promise<void> {
    const st = await this.poll(job);
    if (st.state === 'starting' || st.state === 'running') await this.cancel(job);
    await this.login.reset(job);
  }

  exists(relPath: string): Promise<boolean> {
    return this.login.exists(relPath);
  }

  close(): Promise<void> {
    return this.opts.login ? Promise.resolve() : this.login.close(); // a shared login is closed by its owner
  }
}
