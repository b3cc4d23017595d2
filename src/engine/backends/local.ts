// The local backend: stages run as detached processes on this machine, in the experiment folder.
import { execFile } from 'node:child_process';
import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync, rmSync, statfsSync } from 'node:fs';
import { homedir, cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { BackendError, type Backend, type JobStatus, type StageJob } from './backend';
import { CANCEL_SH, LAUNCH_SH } from './jobScripts';
import { findTorchPython } from './python';
import { isSecretEnvName, scrubbedEnv } from '../secrets';

export interface LocalBackendOptions {
  experimentDir: string;
  runnerDir: string; // folder holding trex_micro.py
  python?: string;
  cacheDir?: string;
  capacity?: number;
}

export function defaultCacheDir(): string {
  return process.env.TREX_CACHE || join(homedir(), '.cache', 'trex');
}

function run(cmd: string, args: string[], timeoutMs = 60_000): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    // Stages and agent commands never inherit credentials (API keys, tokens, AWS_*, SSH_AUTH_SOCK).
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 4 << 20, env: scrubbedEnv() }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} failed: ${stderr || err.message}`));
      else resolvePromise(stdout);
    });
  });
}

export class LocalBackend implements Backend {
  readonly name = 'local';
  readonly capacity: number;
  private python?: string;
  /** Wrapper pid (= process group) of each job this process started, by absolute run folder: a
   *  job whose run folder is deleted can still be found and stopped. */
  private readonly pids = new Map<string, number>();

  constructor(private readonly opts: LocalBackendOptions) {
    this.capacity = opts.capacity ?? Math.max(1, cpus().length);
  }

  private abs(rel: string): string {
    return resolve(this.opts.experimentDir, rel);
  }

  async preflight(): Promise<void> {
    this.python = await findTorchPython(this.opts.python);
    if (!existsSync(join(this.opts.runnerDir, 'trex_micro.py'))) {
      throw new BackendError(`training scripts not found in ${this.opts.runnerDir}`, 'Reinstall TREX; the trainer/ folder ships with it.');
    }
    const fs = statfsSync(this.opts.experimentDir);
    const freeMb = (fs.bavail * fs.bsize) / 2 ** 20;
    if (freeMb < 200) throw new BackendError(`only ${freeMb.toFixed(0)} MB free in ${this.opts.experimentDir}`, 'Free some disk space.');
  }

  resolveArgv(argv: string[]): string[] {
    const vars: Record<string, string> = {
      python: this.python ?? 'python3',
      runner: this.opts.runnerDir,
      cache: this.opts.cacheDir ?? defaultCacheDir(),
    };
    return argv.map((a) => a.replace(/\{(python|runner|cache)\}/g, (_, k: string) => vars[k]));
  }

  async start(job: StageJob): Promise<void> {
    if (!this.python) await this.preflight();
    const argv = this.resolveArgv(job.argv);
    const envArgs = Object.entries(job.env).filter(([k]) => !isSecretEnvName(k)).map(([k, v]) => `${k}=${v}`);
    // env(1) sets the variables inside the detached session without touching our own environment.
    const out = await run('bash', ['-c', LAUNCH_SH, 'launch', this.abs(job.runDir), this.opts.experimentDir, 'env', ...envArgs, ...argv]);
    const pid = Number(out.trim().split('\n').pop());
    if (Number.isSafeInteger(pid) && pid > 1) this.pids.set(this.abs(job.runDir), pid);
  }

  async poll(job: StageJob): Promise<JobStatus> {
    const dir = this.abs(job.runDir);
    const read = (f: string) => {
      try {
        return readFileSync(join(dir, f), 'utf8').trim();
      } catch {
        return undefined;
      }
    };
    if (!existsSync(dir)) {
      // Its run folder is gone (deleted with the node): it can never report back, so it is stopped.
      this.killOrphan(dir);
      return { state: 'none' };
    }
    const started = Number(read('started_at_ms')) || undefined;
    const exitCode = read('exit_code');
    if (exitCode !== undefined) return { state: 'exited', exitCode: Number(exitCode), startedAtMs: started, finishedAtMs: Number(read('finished_at_ms')) || undefined, where: 'local' };
    const pid = Number(read('pid'));
    if (!pid) return { state: existsSync(join(dir, 'cmd')) ? 'starting' : 'none' };
    if (isOurProcess(pid, dir)) return { state: 'running', startedAtMs: started, where: 'local' };
    // It may have finished between the two reads.
    const late = read('exit_code');
    if (late !== undefined) return { state: 'exited', exitCode: Number(late), startedAtMs: started, finishedAtMs: Number(read('finished_at_ms')) || undefined, where: 'local' };
    return { state: 'lost' };
  }

  async readLog(job: StageJob, offset: number, maxBytes: number): Promise<Buffer> {
    const path = join(this.abs(job.runDir), 'output.log');
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch {
      return Buffer.alloc(0);
    }
    try {
      const size = fstatSync(fd).size;
      const len = Math.max(0, Math.min(maxBytes, size - offset));
      const buf = Buffer.alloc(len);
      let got = 0;
      while (got < len) {
        const n = readSync(fd, buf, got, len - got, offset + got);
        if (n === 0) break;
        got += n;
      }
      return buf.subarray(0, got);
    } finally {
      closeSync(fd);
    }
  }

  async fetchResults(): Promise<void> {
    // Outputs are already in the experiment folder.
  }

  async cancel(job: StageJob): Promise<void> {
    const dir = this.abs(job.runDir);
    if (!existsSync(join(dir, 'pid'))) this.killOrphan(dir);
    await run('bash', ['-c', CANCEL_SH, 'cancel', dir, '5'], 30_000);
  }

  /** Kills the process group of a job this process started whose run folder is gone. */
  private killOrphan(dir: string): void {
    const pid = this.pids.get(dir);
    if (!pid) return;
    this.pids.delete(dir);
    if (!isOurProcess(pid, dir)) return; // finished, or the pid was reused
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }

  async reset(job: StageJob): Promise<void> {
    rmSync(this.abs(job.runDir), { recursive: true, force: true });
  }

  async exists(relPath: string): Promise<boolean> {
    return existsSync(this.abs(relPath));
  }

  async close(): Promise<void> {}
}

/** Guards against pid reuse: the live pid must be our wrapper, whose command line names the run dir. */
function isOurProcess(pid: number, runDir: string): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(runDir);
  } catch {
    return true; // no /proc (not Linux): trust kill(0)
  }
}
