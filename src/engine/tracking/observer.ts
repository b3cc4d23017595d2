// The trackers of a search session: each finished node (a result or a failure in the tree's event
// log) is handed to every tracker's queue; nodes that finished before (while a tracker was down,
// or before tracking was configured) are caught up when the session opens.
import type { Experiment } from '../experiment';
import { MlflowTracker, mlflowAuthFromEnv } from './mlflow';
import { PythonTracker } from './pythonTracker';
import { resolveTracking, type ResolvedTracking, type TrackingOverrides } from './settings';
import type { Tracker } from './tracker';
import { TrackerQueue } from './trackerQueue';

export interface TrackingOptions {
  /** The search policy, recorded on every run. */
  policy: string;
  env: NodeJS.ProcessEnv;
  overrides?: TrackingOverrides;
  onNotice?: (message: string) => void;
  /** First delay before a retry (default 5 s); it doubles up to maxRetryMs (default 5 min). */
  retryMs?: number;
  maxRetryMs?: number;
  /** How long close() waits for the backlog of a tracker that works (default 2 min); the rest is logged by the next search. */
  closeTimeoutMs?: number;
}

export class TrackingObserver {
  private readonly queues: TrackerQueue[];
  private readonly off: () => void;
  private closed: Promise<void> | undefined;

  constructor(
    private readonly exp: Experiment,
    trackers: Tracker[],
    private readonly opts: TrackingOptions,
  ) {
    const queueOpts = { policy: opts.policy, env: opts.env, onNotice: opts.onNotice, retryMs: opts.retryMs ?? 5000, maxRetryMs: opts.maxRetryMs ?? 300_000 };
    this.queues = trackers.map((t) => new TrackerQueue(exp, t, queueOpts));
    this.off = exp.onEvent((e) => {
      if (e.type === 'node_result' || e.type === 'node_failed') for (const q of this.queues) q.offer(e.id);
    });
    for (const id of exp.tree.nodes.keys()) for (const q of this.queues) q.offer(id);
  }

  get trackers(): Tracker[] {
    return this.queues.map((q) => q.tracker);
  }

  /** Resolves when every tracker has logged everything offered so far. */
  async idle(): Promise<void> {
    await Promise.all(this.queues.map((q) => q.idle()));
  }

  /** Stops listening; waits (bounded) for working trackers to finish their backlog, then stops them. */
  close(): Promise<void> {
    return (this.closed ??= (async () => {
      this.off();
      const limit = this.opts.closeTimeoutMs ?? 120_000;
      await Promise.all(
        this.queues.map(async (q) => {
          if (!q.failing) {
            let timer: NodeJS.Timeout | undefined;
            await Promise.race([q.idle(), new Promise<void>((r) => (timer = setTimeout(r, limit)))]);
            clearTimeout(timer);
          }
          await q.close();
        }),
      );
    })());
  }
}

/** The trackers trex.yaml and the user's settings ask for, or none. */
export function createTrackers(t: ResolvedTracking, env: NodeJS.ProcessEnv): Tracker[] {
  const out: Tracker[] = [];
  // Credentials go only to a server the user named (a folder's trex.yaml cannot collect them).
  if (t.mlflow) out.push(new MlflowTracker(t.mlflow.uri, t.mlflow.experiment, t.mlflow.trusted ? mlflowAuthFromEnv(env) : undefined));
  if (t.wandb) out.push(new PythonTracker(t.python, { kind: 'wandb', wandb: t.wandb }, env));
  if (t.tensorboard) out.push(new PythonTracker(t.python, { kind: 'tensorboard', tensorboard: t.tensorboard }, env));
  return out;
}

/** The session's tracking, when trex.yaml or the settings configure any tracker. */
export function openTracking(exp: Experiment, opts: TrackingOptions): TrackingObserver | undefined {
  const resolved = resolveTracking(exp.spec, exp.dir, opts.overrides, opts.env);
  if (!resolved) return undefined;
  return new TrackingObserver(exp, createTrackers(resolved, opts.env), opts);
}
