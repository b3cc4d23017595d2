// A backend whose stages are answered by a function in this process, on a virtual clock: no
// processes, no files beyond what the answer writes. Tabular-replay benchmarks (each configuration
// really trained once, replayed many times) and the fast tests of Search and NodeExecutor use it.
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Backend, JobStatus, StageJob } from './backend';

export interface MemoryStage {
  job: StageJob;
  nodeId: string;
  /** prepare | train | evaluate (the run folder's last part). */
  stage: string;
  /** The value after a flag in the stage's argv (`--out`, say). */
  arg(flag: string): string | undefined;
}

export interface MemoryStageAnswer {
  /** Virtual duration, for compute accounting. */
  ms?: number;
  exitCode?: number;
  /** Experiment-relative path → content, written when the stage ends. */
  files?: Record<string, string>;
  /** Folders to create (a checkpoint). */
  dirs?: string[];
  log?: string;
  /**
   * Log lines written while the job runs, at virtual times within `ms`: each poll reveals the next
   * one, so a reader can act mid-run (the rung monitor cancels a training job); a cancel ends the
   * job at the virtual time of the last revealed entry. `log` follows when the job ends.
   */
  timeline?: { atMs: number; log: string }[];
}

/** Answers a stage; a promise keeps the job running until it settles (tests gate lifetimes this way). */
export type MemoryStageFn = (stage: MemoryStage) => MemoryStageAnswer | Promise<MemoryStageAnswer>;

interface MemoryJob {
  status: JobStatus;
  log: Buffer;
  /** Timeline entries not yet revealed, and what ends the job after them. */
  pending?: { atMs: number; log: string }[];
  end?: { ms: number; exitCode: number; log: string };
  revealedMs?: number;
}

export class MemoryBackend implements Backend {
  readonly pollIntervalMs = 1;
  /** Every stage started, in order (tests assert what ran). */
  readonly started: MemoryStage[] = [];
  private readonly jobs = new Map<string, MemoryJob>();
  private clock = 1_000_000;

  constructor(
    private readonly dir: string,
    private readonly answer: MemoryStageFn,
    readonly name = 'memory',
    readonly capacity = 64,
  ) {}

  async preflight(): Promise<void> {}

  async start(job: StageJob): Promise<void> {
    const parts = job.runDir.split('/');
    const stage: MemoryStage = { job, nodeId: parts[1], stage: parts[parts.length - 1], arg: (flag) => (job.argv.includes(flag) ? job.argv[job.argv.indexOf(flag) + 1] : undefined) };
    this.started.push(stage);
    const entry: MemoryJob = { status: { state: 'running', startedAtMs: this.clock, where: this.name }, log: Buffer.alloc(0) };
    this.jobs.set(job.runDir, entry);
    const finish = (a: MemoryStageAnswer) => {
      if (entry.status.state !== 'running') return;
      for (const d of a.dirs ?? []) mkdirSync(join(this.dir, d), { recursive: true });
      for (const [path, content] of Object.entries(a.files ?? {})) {
        mkdirSync(dirname(join(this.dir, path)), { recursive: true });
        writeFileSync(join(this.dir, path), content);
      }
      const startedAtMs = entry.status.startedAtMs ?? this.clock;
      this.clock = Math.max(this.clock, startedAtMs + (a.ms ?? 0));
      if (a.timeline?.length) {
        entry.pending = [...a.timeline];
        entry.end = { ms: a.ms ?? 0, exitCode: a.exitCode ?? 0, log: a.log ?? '' };
        return;
      }
      entry.log = Buffer.from(a.log ?? '');
      entry.status = { state: 'exited', exitCode: a.exitCode ?? 0, startedAtMs, finishedAtMs: startedAtMs + (a.ms ?? 0), where: this.name };
    };
    const a = this.answer(stage);
    if (a instanceof Promise) a.then(finish, (e: Error) => finish({ exitCode: 1, log: `${e.message}\n` }));
    else finish(a);
  }

  async poll(job: StageJob): Promise<JobStatus> {
    const entry = this.jobs.get(job.runDir);
    if (!entry) return { state: 'none' };
    if (entry.status.state === 'running' && entry.end) {
      const next = entry.pending?.shift();
      if (next) {
        entry.log = Buffer.concat([entry.log, Buffer.from(next.log)]);
        entry.revealedMs = next.atMs;
      } else {
        const startedAtMs = entry.status.startedAtMs ?? this.clock;
        entry.log = Buffer.concat([entry.log, Buffer.from(entry.end.log)]);
        entry.status = { state: 'exited', exitCode: entry.end.exitCode, startedAtMs, finishedAtMs: startedAtMs + entry.end.ms, where: this.name };
      }
    }
    return entry.status;
  }

  async readLog(job: StageJob, offset: number, maxBytes: number): Promise<Buffer> {
    return (this.jobs.get(job.runDir)?.log ?? Buffer.alloc(0)).subarray(offset, offset + maxBytes);
  }

  async fetchResults(): Promise<void> {}

  async cancel(job: StageJob): Promise<void> {
    const entry = this.jobs.get(job.runDir);
    if (entry?.status.state !== 'running') return;
    // A timeline job ends where the reader saw it last; a plain one at the clock.
    const finishedAtMs = entry.end ? (entry.status.startedAtMs ?? this.clock) + (entry.revealedMs ?? 0) : this.clock;
    entry.pending = [];
    entry.status = { ...entry.status, state: 'exited', exitCode: 143, finishedAtMs };
  }

  async reset(job: StageJob): Promise<void> {
    this.jobs.delete(job.runDir);
    rmSync(join(this.dir, job.runDir), { recursive: true, force: true });
  }

  async exists(relPath: string): Promise<boolean> {
    return existsSync(join(this.dir, relPath));
  }

  async close(): Promise<void> {}
}

/** What the micro trainer's stages leave behind, with the given scores: prepared data, a checkpoint, metrics.json. */
export function microStageOutputs(s: MemoryStage, metric: string, score: { validation: number; test?: number }, ms = 0): MemoryStageAnswer {
  const out = s.arg('--out');
  if (!out) return { ms, exitCode: 2, log: `no --out in ${s.job.argv.join(' ')}\n` };
  if (s.stage === 'prepare') return { ms, files: { [`${out}/stats.json`]: JSON.stringify({ replayed: true }) } };
  if (s.stage === 'train') return { ms, dirs: [out] };
  const test = score.test !== undefined ? { test: { [metric]: score.test } } : {};
  return { ms, files: { [out]: JSON.stringify({ metric, validation: { [metric]: score.validation }, ...test }) } };
}
