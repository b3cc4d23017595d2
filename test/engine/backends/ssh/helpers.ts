// Shared pieces of the ssh tests: a backend pointed at the harness, simple stage jobs, and a
// follow loop that streams a job's log into a local file the way the executor does.
import { appendFileSync, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { JobStatus, StageJob } from '../../../../src/engine/backends/backend';
import { SshBackend, type SshBackendOptions } from '../../../../src/engine/backends/ssh/sshBackend';
import { runnerDir } from '../../../../src/engine/packageDirs';
import { after, before } from 'node:test';
import { SshdHarness, sshdAvailable } from './sshd';

/** Strings that break naive shell quoting. */
export const HOSTILE = [
  '',
  'plain',
  'with space',
  "it's",
  "''",
  '"double" quotes',
  '$(touch /tmp/trex-pwned)',
  '`touch /tmp/trex-pwned`',
  '$HOME ${HOME} $((1+1))',
  'line one\nline two\n',
  '-rf',
  '--help',
  '-',
  '=value',
  'a;b&&c||d|e>f<g',
  '*?[a-z]{x,y}~',
  '\\ back\\slash\\',
  'tab\there',
  "mixed 'single' and \"double\" and $(cmd) and `cmd`",
  'üñíçødé 🚀',
  '!history',
  '#comment',
];

import { setTimeout as sleep } from 'node:timers/promises';
import { tempDir } from '../../../helpers/tempDir';
export { sleep };

/** A local temp folder, removed when the test process exits. */
export function localExperiment(prefix = 'trex-ssh-exp-'): string {
  return tempDir(prefix);
}

export function makeBackend(h: SshdHarness, experimentDir: string, remoteDir: string, over: Partial<SshBackendOptions> = {}): SshBackend {
  return new SshBackend({
    experimentDir,
    experimentName: 'ssh-test',
    host: h.host,
    remoteDir,
    runnerDir: runnerDir(),
    sshConfigPath: h.sshConfigPath,
    knownHostsPath: h.knownHostsPath,
    python: '/usr/bin/python3',
    keepaliveIntervalMs: 2000,
    minFreeMb: 10,
    ...over,
  });
}

/** A stage that prints `lines` numbered lines, `delayS` apart, writes an output file and exits with `exit`. */
export function loopJob(node: string, lines = 50, delayS = 0.02, exit = 0): StageJob {
  const script = `for i in $(seq 1 ${lines}); do echo "line $i of ${node}"; sleep ${delayS}; done; mkdir -p nodes/${node}/out && cat nodes/${node}/in.txt > nodes/${node}/out/result.txt; exit ${exit}`;
  return {
    runDir: `nodes/${node}/run/train`,
    argv: ['bash', '-c', script],
    env: { PYTHONUNBUFFERED: '1' },
    inputs: [`nodes/${node}/in.txt`],
    outputs: [`nodes/${node}/out/result.txt`],
    label: `${node} train`,
  };
}

export function writeInput(experimentDir: string, node: string, text: string): void {
  const p = join(experimentDir, 'nodes', node, 'in.txt');
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, text);
}

export function expectedLoopLog(node: string, lines: number): string {
  return Array.from({ length: lines }, (_, i) => `line ${i + 1} of ${node}\n`).join('');
}

export interface FollowOptions {
  pollMs?: number;
  /** Called after each round; a fault test drops the connection here. */
  onRound?: (round: number, offset: number) => Promise<void> | void;
  /** Stop early (the "client dies" case) once this many bytes are local. */
  stopAfterBytes?: number;
  chunk?: number;
}

/** Streams the job's log into `logFile` from its current size until the job ends; returns the final status. */
export async function follow(backend: SshBackend, job: StageJob, logFile: string, opts: FollowOptions = {}): Promise<JobStatus> {
  let offset = existsSync(logFile) ? statSync(logFile).size : 0;
  const drain = async () => {
    for (;;) {
      const want = opts.chunk ?? 1 << 20;
      const chunk = await backend.readLog(job, offset, want);
      appendFileSync(logFile, chunk);
      offset += chunk.length;
      // Like the executor: a short read means we are at the end for now.
      if (chunk.length < want) return;
    }
  };
  for (let round = 0; ; round++) {
    await drain();
    if (opts.stopAfterBytes !== undefined && offset >= opts.stopAfterBytes) return backend.poll(job);
    const st = await backend.poll(job);
    if (st.state === 'exited' || st.state === 'lost') {
      await drain();
      return st;
    }
    await opts.onRound?.(round, offset);
    await sleep(opts.pollMs ?? 100);
  }
}

export function processGroupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The loopback sshd for a test file: started before its tests, stopped after; `skip` says why when sshd is missing. */
export function useSshd(): { skip: string | false; harness: () => SshdHarness } {
  const skip = sshdAvailable() ? false : 'OpenSSH server (/usr/sbin/sshd) is not installed';
  let h: SshdHarness | undefined;
  before(async () => {
    if (!skip) h = await SshdHarness.start();
  });
  after(async () => {
    await h?.cleanup();
  });
  return {
    skip,
    harness: () => {
      if (!h) throw new Error('sshd is not started');
      return h;
    },
  };
}
