// One tracker's backlog: finished nodes wait here until the tracker has taken them. A failure is
// written to .trex/tracking.log (redacted) and retried with a growing delay; the node it concerns
// is never touched. What each tracker has logged is remembered in .trex/tracking/, so a later
// search catches up on nodes that finished while the tracker was down or not yet configured.
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { writeFileAtomic, type Experiment } from '../experiment';
import { redact } from '../secrets';
import { isPlainObject } from '../util/isPlainObject';
import { sleep } from '../util/sleep';
import { buildNodeRun, isFinished } from './nodeRun';
import type { Tracker } from './tracker';

export const TRACKING_LOG = '.trex/tracking.log';

export interface QueueOptions {
  policy: string;
  env: NodeJS.ProcessEnv;
  onNotice?: (message: string) => void;
  /** First delay before a retry (ms); it doubles up to maxRetryMs. */
  retryMs: number;
  maxRetryMs: number;
}

export class TrackerQueue {
  private readonly pending = new Set<string>();
  private readonly logged: Record<string, string>;
  private readonly statePath: string;
  private readonly stop = new AbortController();
  private pumping: Promise<void> | undefined;
  private idleWaiters: (() => void)[] = [];
  /** True while the last attempt failed (the tracker is waiting to retry). */
  failing = false;

  constructor(
    private readonly exp: Experiment,
    readonly tracker: Tracker,
    private readonly opts: QueueOptions,
  ) {
    const key = createHash('sha256').update(tracker.identity).digest('hex').slice(0, 12);
    this.statePath = join(exp.dir, '.trex', 'tracking', `${tracker.name}-${key}.json`);
    this.logged = readLogged(this.statePath);
  }

  /** Queues a node if it finished and this ending of it has not been logged yet. */
  offer(id: string): void {
    const n = this.exp.tree.nodes.get(id);
    if (!n || !isFinished(n) || this.logged[id] === String(n.updatedAt)) return;
    this.pending.add(id);
    this.kick();
  }

  private kick(): void {
    this.pumping ??= this.pump().finally(() => {
      this.pumping = undefined;
      // Offered after the loop's last check: start again.
      if (this.pending.size && !this.stop.signal.aborted) this.kick();
      else for (const w of this.idleWaiters.splice(0)) w();
    });
  }

  /** Resolves once nothing is waiting (or the queue was stopped). */
  idle(): Promise<void> {
    if (!this.pumping) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops retrying and ends a run in progress (its helper process is killed); the rest waits for the next search. */
  async close(): Promise<void> {
    this.stop.abort();
    await this.pumping;
  }

  private async pump(): Promise<void> {
    let delay = this.opts.retryMs;
    while (this.pending.size && !this.stop.signal.aborted) {
      const id = this.pending.values().next().value as string;
      const n = this.exp.tree.nodes.get(id);
      if (!n || !isFinished(n) || this.logged[id] === String(n.updatedAt)) {
        this.pending.delete(id);
        continue;
      }
      try {
        const run = buildNodeRun(this.exp, n, this.opts.policy);
        await this.tracker.log(run, this.stop.signal);
        mkdirSync(dirname(this.statePath), { recursive: true });
        writeFileAtomic(this.statePath, JSON.stringify({ identity: this.tracker.identity, logged: { ...this.logged, [id]: run.attempt } }, null, 1));
        this.logged[id] = run.attempt;
        this.pending.delete(id);
        delay = this.opts.retryMs;
        if (this.failing) {
          this.failing = false;
          this.record(`${this.tracker.name}: logging works again (${id} logged)`);
          this.opts.onNotice?.(`${this.tracker.name}: logging works again; catching up`);
        }
      } catch (e) {
        if (this.stop.signal.aborted) break;
        const message = redact(`${this.tracker.name}: ${id} not logged: ${describeError(e)}`, this.opts.env);
        this.record(`${message} (retry in ${Math.round(delay / 1000)} s)`);
        if (!this.failing) this.opts.onNotice?.(`${message}. Nodes are not affected; logging is retried.`);
        this.failing = true;
        await sleep(delay, this.stop.signal);
        delay = Math.min(delay * 2, this.opts.maxRetryMs);
      }
    }
  }

  private record(line: string): void {
    try {
      const path = join(this.exp.dir, TRACKING_LOG);
      mkdirSync(dirname(path), { recursive: true });
      appendFileSync(path, `${new Date().toISOString()} ${line.replace(/\n/g, ' ')}\n`);
    } catch {
      // the log is for people; failing to write it must not stop logging
    }
  }
}

/** The error and its cause (fetch says only "fetch failed"; the cause says ECONNREFUSED). */
function describeError(e: unknown): string {
  const err = e instanceof Error ? e : new Error(String(e));
  const cause = err.cause instanceof Error ? err.cause.message : undefined;
  return cause && !err.message.includes(cause) ? `${err.message} (${cause})` : err.message;
}

function readLogged(path: string): Record<string, string> {
  try {
    const v: unknown = JSON.parse(readFileSync(path, 'utf8'));
    const logged = isPlainObject(v) && isPlainObject(v.logged) ? v.logged : {};
    return Object.fromEntries(Object.entries(logged).filter((e): e is [string, string] => typeof e[1] === 'string'));
  } catch {
    return {};
  }
}
