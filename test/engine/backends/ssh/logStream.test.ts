// Log streaming through the ssh backend against a real loopback sshd, with read-ahead on: a large
// log byte-exact, a log that grows in bursts the test releases, a fresh client resuming from an
// odd offset, and connections dropped while range reads are in flight.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { StageJob } from '../../../../src/engine/backends/backend';
import type { SshBackend, SshBackendOptions } from '../../../../src/engine/backends/ssh/sshBackend';
import { localExperiment, makeBackend, sleep } from './helpers';
import { SshdHarness, sshdAvailable } from './sshd';

const skip = sshdAvailable() ? false : 'OpenSSH server (/usr/sbin/sshd) is not installed';
const CHUNK = 1 << 20; // the executor's read size
let h: SshdHarness;

before(async () => {
  if (!skip) h = await SshdHarness.start();
});
after(async () => {
  await h?.cleanup();
});

function bulkJob(name: string, mib: number): StageJob {
  return { runDir: `logs/${name}/run`, argv: ['bash', '-c', `head -c ${mib << 20} /dev/urandom | base64 -w 100`], env: {}, inputs: [], outputs: [] };
}

/** A backend on its own remote dir, closed after `fn`. */
async function withBackend(name: string, over: Partial<SshBackendOptions>, fn: (backend: SshBackend, remote: string) => Promise<void>): Promise<void> {
  const remote = join(h.dir, `remote-${name}`);
  const backend = makeBackend(h, localExperiment(), remote, over);
  try {
    await fn(backend, remote);
  } finally {
    await backend.close();
  }
}

/** Runs a job printing `mib` MiB of random bytes as base64 to its end; returns the job and its log as on the host. */
async function finishedBulkLog(backend: SshBackend, remote: string, name: string, mib: number): Promise<{ job: StageJob; want: Buffer }> {
  const job = bulkJob(name, mib);
  await backend.start(job);
  await untilExited(backend, job);
  return { job, want: readFileSync(join(remote, job.runDir, 'output.log')) };
}

async function untilExited(backend: SshBackend, job: StageJob): Promise<void> {
  for (;;) {
    const st = await backend.poll(job);
    if (st.state === 'exited') return assert.equal(st.exitCode, 0);
    assert.notEqual(st.state, 'lost');
    await sleep(50);
  }
}

/** Reads from `offset` until a short read (the end for now), the way the executor drains; `each` runs after every read. */
async function drain(backend: SshBackend, job: StageJob, offset: number, each?: (reads: number) => void): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (let reads = 1; ; reads++) {
    const chunk = await backend.readLog(job, offset, CHUNK);
    parts.push(chunk);
    offset += chunk.length;
    each?.(reads);
    if (chunk.length < CHUNK) return Buffer.concat(parts);
  }
}

test('a large log streams byte-exact; a fresh client resumes it from an odd offset', { skip }, async () => {
  await withBackend('large', {}, async (backend, remote) => {
    const { job, want } = await finishedBulkLog(backend, remote, 'large', 24);
    assert.ok(want.length > 30 << 20, `log of ${want.length} bytes`);
    assert.ok((await drain(backend, job, 0)).equals(want));
    // Past the end: nothing, and no error.
    assert.equal((await backend.readLog(job, want.length, CHUNK)).length, 0);
    const from = 7 * CHUNK + 12_345;
    await withBackend('large', {}, async (other) => assert.ok((await drain(other, job, from)).equals(want.subarray(from))));
    // A seek backwards on a warm reader starts over there.
    assert.ok((await drain(backend, job, 3)).equals(want.subarray(3)));
  });
});

test('a growing log: every burst arrives whole, across catching up and read-ahead restarting', { skip }, async () => {
  const gate = join(h.dir, 'grow-gate');
  await withBackend('grow', {}, async (backend, remote) => {
    // Each burst is followed by a marker; the job then waits until the test lets it go on.
    const script = `for i in 1 2 3 4; do head -c $(( (i * 2 << 20) + i * 17 )) /dev/urandom | base64 -w 100; : > "$1-ready-$i"; while [ ! -e "$1-go-$i" ]; do sleep 0.02; done; done`;
    const job: StageJob = { runDir: 'logs/grow/run', argv: ['bash', '-c', script, 'grow', gate], env: {}, inputs: [], outputs: [] };
    await backend.start(job);
    const log = join(remote, job.runDir, 'output.log');
    let offset = 0;
    const local: Buffer[] = [];
    for (let i = 1; i <= 4; i++) {
      // Reads while the burst is being written are fine too; the check is that nothing is lost.
      while (!existsSync(`${gate}-ready-${i}`)) {
        const got = await drain(backend, job, offset);
        local.push(got);
        offset += got.length;
        await sleep(20);
      }
      const size = statSync(log).size;
      while (offset < size) {
        const got = await drain(backend, job, offset);
        local.push(got);
        offset += got.length;
      }
      assert.equal(offset, size, `burst ${i}: exactly the bytes on the host`);
      writeFileSync(`${gate}-go-${i}`, '');
    }
    await untilExited(backend, job);
    const rest = await drain(backend, job, offset);
    assert.ok(Buffer.concat([...local, rest]).equals(readFileSync(log)));
  });
});

test('connections dropped mid-stream, with range reads in flight: no byte lost or repeated', { skip }, async () => {
  await withBackend('drop-stream', {}, async (backend, remote) => {
    const { job, want } = await finishedBulkLog(backend, remote, 'drop', 16);
    let drops = 0;
    const got = await drain(backend, job, 0, (reads) => {
      if (reads % 5 === 1 && drops < 3) drops += h.dropConnections() > 0 ? 1 : 0;
    });
    assert.ok(drops >= 2, `dropped ${drops} times`);
    assert.ok(backend.connection.stats.reconnects >= 2, `reconnected ${backend.connection.stats.reconnects} times`);
    assert.equal(got.length, want.length);
    assert.ok(got.equals(want));
  });
});

test('read-ahead off (logReadAheadBytes 0): the same bytes, one range read per call', { skip }, async () => {
  await withBackend('plain', { logReadAheadBytes: 0 }, async (backend, remote) => {
    const { job, want } = await finishedBulkLog(backend, remote, 'plain', 3);
    assert.ok((await drain(backend, job, 5)).equals(want.subarray(5)));
  });
});
