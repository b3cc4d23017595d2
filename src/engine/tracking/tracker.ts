// What every tracker does: log one finished node as a run. Throwing means "not logged, try again
// later"; the observer retries, the node is never affected.
import type { NodeRunRecord } from './nodeRun';

export interface Tracker {
  /** mlflow, wandb or tensorboard. */
  readonly name: string;
  /** Which server/project/folder it writes to: what it has logged is remembered per identity. */
  readonly identity: string;
  log(run: NodeRunRecord, signal: AbortSignal): Promise<void>;
}
