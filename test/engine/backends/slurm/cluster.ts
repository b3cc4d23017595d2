// Test harness: a throwaway single-node SLURM cluster (munged + slurmctld + slurmd) on this
// machine, without systemd, with every file in one temp folder (config, munge key and socket,
// state, spool, pid files, logs). The daemons run in a network namespace that has only loopback
// (slurmctld and slurmd listen on 0.0.0.0 and have no bind-address setting), with 127.0.0.2 added
// because Slurm's getaddrinfo(AI_ADDRCONFIG) finds no address when 127.0.0.1 is the only one.
// Client commands reach it through wrappers in `binDir` (nsenter into the namespace, SLURM_CONF set).
// Processes are stopped by their pid files only: the ones this harness started.
import { spawnSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';

const DAEMONS = ['munged', 'mungekey', 'slurmctld', 'slurmd', 'sbatch', 'nsenter', 'unshare'];
export const CLIENTS = ['sbatch', 'squeue', 'sacct', 'scontrol', 'scancel', 'sinfo'];

/** Why the cluster cannot run here, or undefined when it can. */
export function slurmUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'the SLURM test cluster needs root (slurmd runs jobs as their users)';
  const missing = DAEMONS.filter((b) => spawnSync('sh', ['-c', `command -v ${b}`]).status !== 0);
  if (missing.length) return `SLURM/munge not installed (missing ${missing.join(', ')}): apt-get install -y --no-install-recommends slurmctld slurmd slurm-client munge`;
  if (spawnSync('unshare', ['-n', 'true']).status !== 0) return 'cannot create a network namespace (unshare -n) for a loopback-only cluster';
  return undefined;
}


function alive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const live = new Set<SlurmCluster>();
process.on('exit', () => {
  for (const c of live) c.killNow();
});

export class SlurmCluster {
  readonly dir: string;
  readonly confPath: string;
  /** Wrappers for the client commands; put first on the login node's PATH. */
  readonly binDir: string;
  readonly hostName = hostname().split('.')[0];
  private readonly mungeSocket: string;

  private constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'trex-slurm-'));
    chmodSync(this.dir, 0o755); // jobs and the munge socket dir must be traversable
    this.confPath = join(this.dir, 'slurm.conf');
    this.binDir = join(this.dir, 'bin');
    this.mungeSocket = join(this.dir, 'munge-run', 'munge.socket.2');
  }

  static async start(opts: { cpus?: number } = {}): Promise<SlurmCluster> {
    const c = new SlurmCluster();
    live.add(c);
    for (const d of ['munge-key', 'munge-run', 'state', 'spool', 'run', 'log', 'bin']) mkdirSync(join(c.dir, d), { recursive: true });
    chmodSync(join(c.dir, 'munge-key'), 0o700);
    chmodSync(join(c.dir, 'munge-run'), 0o755);
    c.must('mungekey', ['-c', '-k', join(c.dir, 'munge-key', 'munge.key')]);
    c.writeConfig(opts.cpus ?? 8);
    c.writeWrappers();
    c.startDaemons();
    await c.waitIdle();
    return c;
  }

  private must(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): string {
    const r = spawnSync(cmd, args, { encoding: 'utf8', env, timeout: 60_000 });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}${r.stdout}`);
    return r.stdout;
  }

  private writeConfig(cpus: number): void {
    const mem = /RealMemory=(\d+)/.exec(spawnSync('slurmd', ['-C'], { encoding: 'utf8' }).stdout ?? '')?.[1] ?? '2000';
    const d = this.dir;
    writeFileSync(
      this.confPath,
      [
        '# single-node test cluster written by test/engine/backends/slurm/cluster.ts',
        'ClusterName=trextest',
        `SlurmctldHost=${this.hostName}(127.0.0.1)`,
        'SlurmctldPort=16817',
        'SlurmdPort=16818',
        'SlurmUser=root',
        'SlurmdUser=root',
        'AuthType=auth/munge',
        'CredType=cred/munge',
        `AuthInfo=socket=${this.mungeSocket}`,
        // No cgroups on a test box: processes are tracked by parent pid, tasks not confined.
        'ProctrackType=proctrack/linuxproc',
        'TaskPlugin=task/none',
        'JobAcctGatherType=jobacct_gather/none',
        'MpiDefault=none',
        'ReturnToService=2',
        'SchedulerType=sched/backfill',
        'SelectType=select/cons_tres',
        'SelectTypeParameters=CR_Core_Memory',
        // Without a default a job takes the whole node's memory and the next one waits.
        'DefMemPerCPU=100',
        // More CPUs than the machine has, so sleeping test jobs can run side by side.
        'SlurmdParameters=config_overrides',
        'KillWait=5',
        'MessageTimeout=5',
        `StateSaveLocation=${d}/state`,
        `SlurmdSpoolDir=${d}/spool`,
        `SlurmctldPidFile=${d}/run/slurmctld.pid`,
        `SlurmdPidFile=${d}/run/slurmd.pid`,
        `SlurmctldLogFile=${d}/log/slurmctld.log`,
        `SlurmdLogFile=${d}/log/slurmd.log`,
        'AccountingStorageType=accounting_storage/none',
        'JobCompType=jobcomp/filetxt',
        `JobCompLoc=${d}/log/jobcomp.log`,
        `NodeName=${this.hostName} NodeAddr=127.0.0.1 CPUs=${cpus} RealMemory=${mem} State=UNKNOWN`,
        'PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP',
        'PartitionName=other Nodes=ALL Default=NO MaxTime=INFINITE State=UP',
        '',
      ].join('\n'),
    );
  }

  private get keeperPidFile(): string {
    return join(this.dir, 'run', 'netns-pid');
  }

  private writeWrappers(): void {
    for (const cmd of CLIENTS) {
      const path = join(this.binDir, cmd);
      const real = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).stdout.trim();
      writeFileSync(path, `#!/bin/sh\n# ${cmd} of the TREX test cluster, run inside its network namespace\nexport SLURM_CONF='${this.confPath}'\nexec nsenter -t "$(cat '${this.keeperPidFile}')" -n -- '${real}' "$@"\n`);
      chmodSync(path, 0o755);
    }
  }

  private daemonEnv(): NodeJS.ProcessEnv {
    return { ...process.env, SLURM_CONF: this.confPath, W: this.dir, MSOCK: this.mungeSocket };
  }

  private startDaemons(): void {
    // The daemons fork into the background and stay in the new namespace; a sleeping keeper marks it for nsenter.
    const body = [
      'set -e',
      'ip link set lo up',
      'ip addr add 127.0.0.2/8 dev lo 2>/dev/null || true',
      'munged --force --key-file="$W/munge-key/munge.key" --socket="$MSOCK" --pid-file="$W/munge-run/munged.pid" --log-file="$W/log/munged.log" --seed-file="$W/munge-run/munged.seed"',
      'slurmctld',
      'slurmd',
      'setsid sleep infinity < /dev/null > /dev/null 2>&1 &',
      'echo $! > "$W/run/netns-pid"',
    ].join('\n');
    this.must('unshare', ['-n', 'bash', '-c', body], this.daemonEnv());
  }

  private pid(file: string): number | undefined {
    try {
      const n = Number(readFileSync(file, 'utf8').trim());
      return n > 0 ? n : undefined;
    } catch {
      return undefined;
    }
  }

  get controllerPid(): number | undefined {
    return this.pid(join(this.dir, 'run', 'slurmctld.pid'));
  }

  private pids(): number[] {
    return [this.controllerPid, this.pid(join(this.dir, 'run', 'slurmd.pid')), this.pid(join(this.dir, 'munge-run', 'munged.pid')), this.pid(this.keeperPidFile)].filter((p): p is number => p !== undefined);
  }

  /** Runs a client command through the wrappers. */
  client(cmd: string, args: string[]): { code: number; out: string } {
    const r = spawnSync(join(this.binDir, cmd), args, { encoding: 'utf8', timeout: 60_000 });
    return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
  }

  private async waitIdle(timeoutMs = 40_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const r = this.client('sinfo', ['-h', '-o', '%t']);
      if (r.code === 0 && /^(idle|mix|alloc)/m.test(r.out)) return;
      for (const f of ['slurmctld', 'slurmd']) {
        const p = this.pid(join(this.dir, 'run', `${f}.pid`));
        if (p && !alive(p)) throw new Error(`${f} exited at startup: ${this.logTail(f)}`);
      }
      await sleep(500);
    }
    throw new Error(`the SLURM node is not idle after ${timeoutMs / 1000} s: ${this.logTail('slurmctld')}\n${this.logTail('slurmd')}`);
  }

  logTail(daemon: string): string {
    try {
      return readFileSync(join(this.dir, 'log', `${daemon}.log`), 'utf8').split('\n').slice(-15).join('\n');
    } catch {
      return '(no log)';
    }
  }

  /** Stops slurmctld (SIGTERM, by its pid file) and starts it again after `downMs`; jobs keep running under slurmd. */
  async restartController(downMs: number): Promise<void> {
    const pid = this.controllerPid;
    if (pid) process.kill(pid, 'SIGTERM');
    for (let i = 0; i < 100 && alive(pid); i++) await sleep(100);
    await sleep(downMs);
    const keeper = this.pid(this.keeperPidFile);
    this.must('nsenter', ['-t', String(keeper), '-n', '--', 'slurmctld'], this.daemonEnv());
    await this.waitIdle();
  }

  /** Processes inside the cluster's network namespace: the daemons, slurmstepd and job processes. */
  private namespacePids(): number[] {
    const keeper = this.pid(this.keeperPidFile);
    if (!keeper || !alive(keeper)) return [];
    let ns: string;
    try {
      ns = readlinkSync(`/proc/${keeper}/ns/net`);
    } catch {
      return [];
    }
    const out: number[] = [];
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name) || Number(name) === keeper) continue;
      try {
        if (readlinkSync(`/proc/${name}/ns/net`) === ns) out.push(Number(name));
      } catch {
        // ended while we looked
      }
    }
    return out;
  }

  async stop(): Promise<void> {
    // Jobs first: a slurmstepd whose controller is gone waits for it forever.
    this.client('scancel', ['--user=root']);
    for (let i = 0; i < 40 && /\d/.test(this.client('squeue', ['-h', '-o', '%i']).out); i++) await sleep(250);
    this.client('scontrol', ['shutdown']);
    for (let i = 0; i < 40 && [this.controllerPid, this.pid(join(this.dir, 'run', 'slurmd.pid'))].some(alive); i++) await sleep(250);
    this.killNow('SIGTERM');
    for (let i = 0; i < 20 && this.pids().some(alive); i++) await sleep(100);
    this.killNow('SIGKILL');
  }

  /**
   * Ends every process this harness started: whatever still runs in its network namespace (stuck
   * slurmstepd, job processes) is killed; the recorded daemons and the keeper get `signal`.
   */
  killNow(signal: NodeJS.Signals = 'SIGKILL'): void {
    const recorded = this.pids();
    const stray = this.namespacePids().filter((p) => !recorded.includes(p));
    for (const [p, sig] of [...stray.map((p) => [p, 'SIGKILL'] as const), ...recorded.map((p) => [p, signal] as const)]) {
      if (!alive(p)) continue;
      try {
        process.kill(p, sig);
      } catch {
        // gone
      }
    }
  }

  async cleanup(): Promise<void> {
    await this.stop();
    live.delete(this);
    if (!process.env.KEEP_SLURM) rmSync(this.dir, { recursive: true, force: true });
  }

  /** Whether the recorded daemons are all gone (for the harness's own check). */
  stopped(): boolean {
    return !this.pids().some(alive) && this.namespacePids().length === 0;
  }
}
