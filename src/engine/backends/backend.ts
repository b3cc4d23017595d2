// The one interface every compute backend implements (local, ssh, slurm; pool routes each job to
// one of its members; memory answers in-process for benchmarks and fast tests). Jobs are stages of
// a node: started detached, polled, their log read from a byte offset, results fetched, cancelled.
// All paths are relative to the experiment root; a backend maps them to its own work dir.

export interface StageJob {
  /** Run folder of this job, e.g. nodes/n0003/run/train: pid, exit_code, output.log live there. */
  runDir: string;
  /** Command; may use {python}, {runner} and {cache}, which the backend resolves for its host. */
  argv: string[];
  env: Record<string, string>;
  /** Experiment-relative files or folders the job reads (synced to remote backends before start). */
  inputs: string[];
  /** Experiment-relative files or folders the job writes that come back after it ends. */
  outputs: string[];
  /** Optional label shown in views (node id and stage). */
  label?: string;
}

export type JobState = 'none' | 'starting' | 'running' | 'exited' | 'lost';

export interface JobStatus {
  state: JobState;
  exitCode?: number;
  startedAtMs?: number;
  finishedAtMs?: number;
  /** Where it runs (host, job id), for views. */
  where?: string;
}

export interface Backend {
  readonly name: string;
  /** How many stages may run at once on this backend (before the search's own limit). */
  readonly capacity: number;
  /** How often the executor polls a running job (ms); remote backends poll less often. */
  readonly pollIntervalMs?: number;
  /** Checks the machine can run stages (python, torch, disk); throws with what is missing. */
  preflight(): Promise<void>;
  /** Starts the job detached; it must survive the client going away. */
  start(job: StageJob): Promise<void>;
  poll(job: StageJob): Promise<JobStatus>;
  /** Bytes of output.log from offset (at most maxBytes). */
  readLog(job: StageJob, offset: number, maxBytes: number): Promise<Buffer>;
  /** Brings the job's outputs into the local experiment folder. */
  fetchResults(job: StageJob): Promise<void>;
  /** Kills the job's whole process group. */
  cancel(job: StageJob): Promise<void>;
  /** Removes a job's run folder so the stage can start again from scratch. */
  reset(job: StageJob): Promise<void>;
  /** Whether an experiment-relative path exists where jobs run (data cache, checkpoints). */
  exists(relPath: string): Promise<boolean>;
  close(): Promise<void>;
}

export class BackendError extends Error {
  constructor(message: string, readonly hint?: string) {
    super(hint ? `${message}\n  ${hint}` : message);
    this.name = 'BackendError';
  }
}
