// The ssh backend: stages run detached on a remote host (launch.sh in the node's remote run folder),
// are polled and their logs read by byte offset over short execs, so a dropped connection, a
// restarted sshd or a restarted TREX never loses a job or a byte of its log.
import { BackendError, type Backend, type JobStatus, type StageJob } from '../backend';
import { isSecretEnvName } from '../../secrets';
import { parseStatusLine } from '../jobScripts';
import { SshConfigResolver, type InlineSshHost } from './config';
import { ConnectionLostError, SshConnection } from './connection';
import { GpuLeases } from './gpus';
import { checkHost, type HostReport } from './preflight';
import { envAssignment, shellJoin, shellQuote } from './quote';
import { defaultRemoteDir, expandRemotePath, remoteJoin, resolveRemoteRoot } from './remotePaths';
import { downloadPaths, ensureRuntime, uploadPaths, type RemoteRuntime } from './sync';
import { LogReadAhead } from './logReadAhead';

export interface SshBackendOptions {
  experimentDir: string;
  /** Used for the default remote dir name. */
  experimentName: string;
  /** Host alias from `--backend ssh:<host>`, compute.ssh.host or compute.host. */
  host: string;
  /** compute.ssh of trex.yaml, applied over the ssh config entry. */
  inline?: InlineSshHost;
  /** compute.remote_dir; default ~/trex-runs/<name>-<hash of the local path>. */
  remoteDir?: string;
  /** compute.python; default: the first of python3, /usr/bin/python3, python that imports torch. */
  python?: string;
  /** The local trainer folder (trex_micro.py, trex_llm.py and their packages), uploaded once per content hash. */
  runnerDir: string;
  /** Trainer cache ({cache}: the pretrained base model) on the host; default <remote dir>/.trex/cache. */
  remoteCacheDir?: string;
  /** Stages at once when the host has no GPU (default 1). */
  slots?: number;
  /** Record an unknown host key without asking (CLI --accept-new-host). */
  acceptNewHost?: boolean;
  /** Asks the user about an unknown host; true records its key in known_hosts. */
  confirmNewHost?: (host: string, fingerprint: string) => Promise<boolean>;
  /** Default $TREX_SSH_CONFIG or ~/.ssh/config. */
  sshConfigPath?: string;
  /** Default $TREX_KNOWN_HOSTS, then the config's UserKnownHostsFile, then ~/.ssh/known_hosts. */
  knownHostsPath?: string;
  keepaliveIntervalMs?: number;
  keepaliveCountMax?: number;
  reconnectTimeoutMs?: number;
  /** Minimum free space in the remote work dir (default 500 MB). */
  minFreeMb?: number;
  /** Log bytes held in memory ahead of the reader, fetched and in flight (default 16 MiB; 0 turns read-ahead off). */
  logReadAheadBytes?: number;
  log?: (line: string) => void;
}

const GPU_FILE = 'trex_gpu';
/** Log range requests: 4 MiB each, two in flight on separate command sessions. */
const LOG_REQUEST_BYTES = 4 << 20;
const LOG_REQUESTS_IN_FLIGHT = 2;
/** Tried in order when compute.python is not set. */
export const DEFAULT_REMOTE_PYTHONS = ['python3', '/usr/bin/python3', 'python'] as const;

export class SshBackend implements Backend {
  readonly name: string;
  readonly connection: SshConnection;
  private readonly leases: GpuLeases;
  private readyPromise?: Promise<void>;
  private root?: string;
  private cacheDir?: string;
  private runtime?: RemoteRuntime;
  private report?: HostReport;
  /** Read-ahead per followed log; dropped (never reused) when its run folder starts over. */
  private readonly logs = new Map<string, LogReadAhead>();

  constructor(private readonly opts: SshBackendOptions) {
    this.name = `ssh:${opts.host}`;
    const target = new SshConfigResolver({ configPath: opts.sshConfigPath, knownHostsPath: opts.knownHostsPath, inline: opts.inline }).resolve(opts.host);
    const log = opts.log ?? (process.env.TREX_SSH_DEBUG ? (l: string) => process.stderr.write(`${l}\n`) : undefined);
    this.connection = new SshConnection({
      target,
      acceptNewHost: opts.acceptNewHost,
      confirmNewHost: opts.confirmNewHost,
      keepaliveIntervalMs: opts.keepaliveIntervalMs,
      keepaliveCountMax: opts.keepaliveCountMax,
      reconnectTimeoutMs: opts.reconnectTimeoutMs,
      log,
    });
    this.leases = GpuLeases.forHost(`${target.user}@${target.hostname}:${target.port}`);
  }

  /** GPUs on the host once preflight has run; otherwise the configured slots. */
  get capacity(): number {
    return this.leases.count > 0 ? this.leases.count : Math.max(1, this.opts.slots ?? 1);
  }

  /** What preflight found (python, torch, free disk, GPUs). */
  get hostReport(): HostReport | undefined {
    return this.report;
  }

  /** Absolute remote work dir (after preflight). */
  get remoteRoot(): string | undefined {
    return this.root;
  }

  async preflight(): Promise<void> {
    if (!this.readyPromise) {
      this.readyPromise = this.prepare();
      // A failed preflight may be retried (e.g. after installing torch).
      this.readyPromise.catch(() => (this.readyPromise = undefined));
    }
    return this.readyPromise;
  }

  private async prepare(): Promise<void> {
    const conn = this.connection;
    await conn.ensureConnected();
    const home = (await conn.exec(`printf '%s' "$HOME"`, { retry: true })).stdout.toString('utf8');
    if (!home.startsWith('/') || home.includes('\n')) throw new BackendError(`ssh ${conn.describe}: unexpected $HOME ${JSON.stringify(home.slice(0, 200))}`);
    const root = resolveRemoteRoot(this.opts.remoteDir ?? defaultRemoteDir(this.opts.experimentName, this.opts.experimentDir), home);
    conn.useCommandSessions(`${root}/.trex/sessions`);
    const pythons = this.opts.python ? [this.opts.python] : DEFAULT_REMOTE_PYTHONS;
    this.report = await checkHost(conn, root, pythons, this.opts.minFreeMb ?? 500, this.opts.runnerDir);
    this.leases.setInventory(this.report.gpus);
    this.runtime = await ensureRuntime(conn, root, this.opts.runnerDir);
    this.cacheDir = this.opts.remoteCacheDir ? expandRemotePath(this.opts.remoteCacheDir, home, 'the remote cache dir') : `${root}/.trex/cache`;
    this.root = root;
  }

  private async ready(): Promise<{ root: string; runtime: RemoteRuntime; python: string; cache: string }> {
    await this.preflight();
    return { root: this.root!, runtime: this.runtime!, python: this.report!.python!.path, cache: this.cacheDir! };
  }

  private runDir(root: string, job: StageJob): string {
    return remoteJoin(root, job.runDir);
  }

  resolveArgv(argv: readonly string[], vars: { python: string; runner: string; cache: string }): string[] {
    const resolved = argv.map((a) => a.replace(/\{(python|runner|cache)\}/g, (_, k: 'python' | 'runner' | 'cache') => vars[k]));
    if (resolved.length === 0 || resolved[0].includes('=') || resolved[0].startsWith('-')) {
      throw new BackendError(`invalid command ${JSON.stringify(resolved[0] ?? '')}: it would be read as an option or an assignment`);
    }
    return resolved;
  }

  async start(job: StageJob): Promise<void> {
    const { root, runtime, python, cache } = await this.ready();
    const conn = this.connection;
    const runDir = this.runDir(root, job);
    this.forgetLog(job);
    // The stage plan lists every local file the command reads: exactly those go up.
    await uploadPaths(conn, this.opts.experimentDir, job.inputs, root);

    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(job.env)) {
      // Credential-like variables never reach the remote `cmd` file.
      if (isSecretEnvName(k)) this.opts.log?.(`ssh: not sending ${k} to the host (looks like a credential)`);
      else env[k] = v;
    }
    const gpu = this.leases.acquire(runDir);
    if (gpu !== undefined) {
      env.CUDA_VISIBLE_DEVICES = String(gpu);
      env.CUDA_DEVICE_ORDER = 'PCI_BUS_ID'; // nvidia-smi's order, not CUDA's "fastest first"
    }
    const argv = this.resolveArgv(job.argv, { python, runner: runtime.runner, cache });
    const q = shellQuote;
    const launch =
      `mkdir -p -- ${q(runDir)}` +
      (gpu !== undefined ? ` && printf '%s\\n' ${gpu} > ${q(`${runDir}/${GPU_FILE}`)}` : '') +
      ` && bash ${q(`${runtime.bin}/launch.sh`)} ${q(runDir)} ${q(root)} env ${Object.entries(env).map(([k, v]) => envAssignment(k, v)).join(' ')} ${shellJoin(argv)}`;

    let result;
    try {
      result = await conn.exec(launch, { retry: false, timeoutMs: 60_000 });
    } catch (e) {
      if (!(e instanceof ConnectionLostError)) throw e;
      // The link dropped mid-launch: the job may be running already. Look before launching again.
      const st = await this.poll(job);
      if (st.state !== 'none') return;
      result = await conn.exec(launch, { retry: true, timeoutMs: 60_000 });
    }
    if (result.code === 3 && /already used/.test(result.stderr)) return; // an earlier try got through
    if (result.code !== 0 || !/^\d+\s*$/.test(result.stdout.toString())) {
      this.leases.release(runDir);
      throw new BackendError(`ssh ${conn.describe}: could not start ${job.label ?? job.runDir}: ${result.stderr.trim() || `exit ${result.code}`}`);
    }
  }

  async poll(job: StageJob): Promise<JobStatus> {
    const { root, runtime } = await this.ready();
    const runDir = this.runDir(root, job);
    const gpuFile = shellQuote(`${runDir}/${GPU_FILE}`);
    const r = await this.connection.exec(`bash ${shellQuote(`${runtime.bin}/status.sh`)} ${shellQuote(runDir)}; [ -f ${gpuFile} ] && cat ${gpuFile}; exit 0`, { retry: true });
    const lines = r.stdout.toString('utf8').split('\n').filter((l) => l.trim());
    let status: ReturnType<typeof parseStatusLine>;
    try {
      if (lines.length === 0 || lines.length > 2) throw new Error(`unexpected job status output ${JSON.stringify(lines.join('\\n').slice(0, 200))}`);
      status = parseStatusLine(lines[0]);
      if (lines[1] !== undefined && !/^\d+$/.test(lines[1].trim())) throw new Error(`unexpected GPU file content ${JSON.stringify(lines[1].slice(0, 50))}`);
    } catch (e) {
      throw new BackendError(`ssh ${this.connection.describe}: ${(e as Error).message}${r.stderr ? ` (stderr: ${r.stderr.trim().slice(0, 300)})` : ''}`);
    }
    const gpu = lines[1] !== undefined ? Number(lines[1]) : undefined;
    if (status.state === 'running' && gpu !== undefined && this.leases.holder(runDir) === undefined) this.leases.adopt(runDir, gpu);
    if (status.state === 'exited' || status.state === 'lost') this.leases.release(runDir);
    const where = `${this.opts.host}${gpu !== undefined ? ` gpu ${gpu}` : ''}`;
    return { ...status, where: status.state === 'none' ? undefined : where };
  }

  async readLog(job: StageJob, offset: number, maxBytes: number): Promise<Buffer> {
    if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(maxBytes) || maxBytes <= 0) {
      throw new BackendError(`invalid log range offset=${offset} maxBytes=${maxBytes}`);
    }
    const { root } = await this.ready();
    const runDir = this.runDir(root, job);
    const path = `${runDir}/output.log`;
    const window = this.opts.logReadAheadBytes ?? 16 << 20;
    if (window <= 0) return this.connection.readRange(path, offset, maxBytes);
    // The log only ever grows, so bytes read ahead stay valid until the run folder starts over.
    let reader = this.logs.get(runDir);
    if (!reader) {
      const requestBytes = Math.min(LOG_REQUEST_BYTES, window);
      reader = new LogReadAhead((at, want) => this.connection.readRange(path, at, want), { requestBytes, depth: LOG_REQUESTS_IN_FLIGHT, windowBytes: window });
      this.logs.set(runDir, reader);
    }
    return reader.readAt(offset, maxBytes);
  }

  /** Forgets bytes read ahead of a job's log: its run folder starts over (a backend built on this one submits it itself). */
  forgetLog(job: StageJob): void {
    if (this.root) this.logs.delete(this.runDir(this.root, job));
  }

  async fetchResults(job: StageJob): Promise<void> {
    const { root } = await this.ready();
    await downloadPaths(this.connection, root, job.outputs, this.opts.experimentDir);
    this.leases.release(this.runDir(root, job));
    this.logs.delete(this.runDir(root, job));
  }

  async cancel(job: StageJob): Promise<void> {
    const { root, runtime } = await this.ready();
    const runDir = this.runDir(root, job);
    const r = await this.connection.exec(`bash ${shellQuote(`${runtime.bin}/cancel.sh`)} ${shellQuote(runDir)} 5`, { retry: true, timeoutMs: 60_000 });
    if (r.code !== 0) throw new BackendError(`ssh ${this.connection.describe}: cancelling ${job.label ?? job.runDir} failed: ${r.stderr.trim() || `exit ${r.code}`}`);
    this.leases.release(runDir);
  }

  async reset(job: StageJob): Promise<void> {
    const { root } = await this.ready();
    const runDir = this.runDir(root, job);
    const r = await this.connection.exec(`rm -rf -- ${shellQuote(runDir)}`, { retry: true });
    if (r.code !== 0) throw new BackendError(`ssh ${this.connection.describe}: removing ${job.runDir} failed: ${r.stderr.trim()}`);
    this.leases.release(runDir);
    this.logs.delete(runDir);
  }

  async exists(relPath: string): Promise<boolean> {
    const { root } = await this.ready();
    const r = await this.connection.exec(`[ -e ${shellQuote(remoteJoin(root, relPath))} ] && echo yes || echo no`, { retry: true });
    const answer = r.stdout.toString().trim();
    if (answer !== 'yes' && answer !== 'no') throw new BackendError(`ssh ${this.connection.describe}: unexpected answer ${JSON.stringify(answer.slice(0, 100))} checking ${relPath}`);
    return answer === 'yes';
  }

  async close(): Promise<void> {
    await this.connection.close();
  }
}
