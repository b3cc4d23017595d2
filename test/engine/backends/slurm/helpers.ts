// Shared pieces of the slurm tests: a login node (the loopback sshd harness whose sessions find
// the test cluster's client commands first on PATH), a backend pointed at it, and a follow loop.
import { appendFileSync, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Backend, JobStatus, StageJob } from '../../../../src/engine/backends/backend';
import { SlurmBackend, type SlurmBackendOptions } from '../../../../src/engine/backends/slurm';
import { runnerDir } from '../../../../src/engine/packageDirs';
import { SshdHarness } from '../ssh/sshd';
import type { SlurmCluster } from './cluster';

import { setTimeout as sleep } from 'node:timers/promises';
export { sleep };

/** An sshd on 127.0.0.1 acting as the cluster's login node: SLURM_CONF and the wrappers come with every session. */
export async function startLoginNode(cluster: SlurmCluster): Promise<SshdHarness> {
  const h = await SshdHarness.start();
  // SetEnv (OpenSSH >= 7.8) is applied after sshd's own PATH, so the wrappers win.
  h.addSessionEnv(`PATH=${cluster.binDir}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin SLURM_CONF=${cluster.confPath}`);
  await h.restart();
  return h;
}

export function makeSlurmBackend(h: SshdHarness, experimentDir: string, remoteDir: string, over: Partial<SlurmBackendOptions> = {}): SlurmBackend {
  return new SlurmBackend({
    experimentDir,
    experimentName: 'slurm-test',
    host: h.host,
    remoteDir,
    runnerDir: runnerDir(),
    sshConfigPath: h.sshConfigPath,
    knownHostsPath: h.knownHostsPath,
    python: '/usr/bin/python3',
    minFreeMb: 10,
    maxJobs: 4,
    pollIntervalMs: 300,
    ...over,
  });
}

/** A stage that sleeps `seconds` in small steps printing a line each, then exits with `exit`. */
export function sleepJob(node: string, seconds: number, exit = 0): StageJob {
  const steps = Math.max(1, Math.round(seconds * 5));
  return {
    runDir: `nodes/${node}/run/train`,
    argv: ['bash', '-c', `for i in $(seq 1 ${steps}); do echo "tick $i"; sleep 0.2; done; exit ${exit}`],
    env: {},
    inputs: [],
    outputs: [],
    label: `${node} train`,
  };
}

/** A job that ticks until `gate` exists, then exits: its lifetime is controlled by the test, not by a clock. */
export function gatedJob(node: string, gate: string): StageJob {
  return {
    runDir: `nodes/${node}/run/train`,
    argv: ['bash', '-c', `i=0; until [ -e "$1" ]; do i=$((i+1)); echo "tick $i"; sleep 0.2; done; exit 0`, 'gated', gate],
    env: {},
    inputs: [],
    outputs: [],
    label: `${node} train`,
  };
}

/** Streams the job's log into `logFile` until it ends; returns the final status and every status seen. */
export async function follow(backend: Backend, job: StageJob, logFile: string, opts: { pollMs?: number; onStatus?: (s: JobStatus) => Promise<void> | void } = {}): Promise<{ final: JobStatus; seen: JobStatus[] }> {
  let offset = existsSync(logFile) ? statSync(logFile).size : 0;
  const seen: JobStatus[] = [];
  const drain = async () => {
    for (;;) {
      const chunk = await backend.readLog(job, offset, 1 << 20);
      appendFileSync(logFile, chunk);
      offset += chunk.length;
      if (chunk.length < 1 << 20) return;
    }
  };
  for (;;) {
    await drain();
    const st = await backend.poll(job);
    seen.push(st);
    await opts.onStatus?.(st);
    if (st.state === 'exited' || st.state === 'lost') {
      await drain();
      return { final: st, seen };
    }
    await sleep(opts.pollMs ?? 300);
  }
}

/** Waits until the job reaches one of `states`. */
export async function waitFor(backend: Backend, job: StageJob, states: JobStatus['state'][], timeoutMs = 60_000): Promise<JobStatus> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const st = await backend.poll(job);
    if (states.includes(st.state)) return st;
    if (Date.now() > deadline) throw new Error(`job ${job.runDir} still ${st.state} after ${timeoutMs} ms`);
    await sleep(300);
  }
}
