// Runs one job on a backend to completion with a time limit: start, poll, cancel on timeout or
// abort, and return the exit code with the tail of its output. Used by the cheap checks and by the
// Executor agent's run_command.
import type { Backend, StageJob } from '../../backends/backend';

export interface JobOutcome {
  exitCode: number;
  timedOut: boolean;
  aborted: boolean;
  wallMs: number;
  /** The last bytes of output.log. */
  output: string;
}

const TAIL_BYTES = 16 * 1024;

export async function runJobToEnd(backend: Backend, job: StageJob, timeoutMs: number, signal?: AbortSignal, pollMs = 200): Promise<JobOutcome> {
  const t0 = Date.now();
  await backend.reset(job);
  await backend.start(job);
  let timedOut = false;
  let aborted = false;
  let exitCode = -1;
  for (;;) {
    const st = await backend.poll(job);
    if (st.state === 'exited') {
      exitCode = st.exitCode ?? -1;
      break;
    }
    if (st.state === 'lost') break;
    if (signal?.aborted) aborted = true;
    if (Date.now() - t0 > timeoutMs) timedOut = true;
    if (aborted || timedOut) {
      await backend.cancel(job).catch(() => undefined);
      break;
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
  await backend.fetchResults(job).catch(() => undefined);
  return { exitCode, timedOut, aborted, wallMs: Date.now() - t0, output: await readTail(backend, job) };
}

async function readTail(backend: Backend, job: StageJob): Promise<string> {
  // The log has no size call: read forward in chunks, keeping only the tail.
  let offset = 0;
  let tail = Buffer.alloc(0);
  for (let i = 0; i < 4096; i++) {
    const chunk = await backend.readLog(job, offset, 1 << 20).catch(() => Buffer.alloc(0));
    if (chunk.length === 0) break;
    offset += chunk.length;
    tail = Buffer.concat([tail, chunk]);
    if (tail.length > TAIL_BYTES) tail = tail.subarray(tail.length - TAIL_BYTES);
  }
  return tail.toString('utf8');
}
