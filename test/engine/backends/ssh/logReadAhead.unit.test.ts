// The ssh log read-ahead over an in-memory log that only grows, with range reads the test answers
// in the order it chooses: byte-exact reads, ranges in flight at once, a short range dropping the
// ones past it, and failed ranges falling back to the reader's own read.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LogReadAhead } from '../../../../src/engine/backends/ssh/logReadAhead';

/** A growing log whose range reads wait until `answer` is called (or answer at once when `auto`). */
class HeldLog {
  data = Buffer.alloc(0);
  pending: { offset: number; want: number; answer: (fail?: boolean) => void }[] = [];
  requests = 0;
  maxInFlight = 0;
  auto = false;

  grow(n: number): void {
    const more = Buffer.alloc(n);
    for (let i = 0; i < n; i++) more[i] = (this.data.length + i) % 251;
    this.data = Buffer.concat([this.data, more]);
  }

  read = (offset: number, want: number): Promise<Buffer> => {
    this.requests++;
    if (this.auto) return Promise.resolve(Buffer.from(this.data.subarray(offset, offset + want)));
    return new Promise((resolve, reject) => {
      const entry = {
        offset,
        want,
        answer: (fail = false) => {
          this.pending = this.pending.filter((p) => p !== entry);
          if (fail) reject(new Error('link dropped'));
          else resolve(Buffer.from(this.data.subarray(offset, offset + want)));
        },
      };
      this.pending.push(entry);
      this.maxInFlight = Math.max(this.maxInFlight, this.pending.length);
    });
  };

  /** Answers held reads until `p` settles. */
  async serve<T>(p: Promise<T>): Promise<T> {
    let done = false;
    void p.then(
      () => (done = true),
      () => (done = true),
    );
    while (!done) {
      await new Promise((r) => setImmediate(r));
      if (!done) this.pending[0]?.answer();
    }
    return p;
  }
}

test('reads come back byte-exact for any read size, with ranges in flight at once inside the window', async () => {
  const log = new HeldLog();
  log.grow(10_000);
  const ra = new LogReadAhead(log.read, { requestBytes: 64, depth: 3, windowBytes: 256 });
  const got: Buffer[] = [];
  let offset = 0;
  for (const size of [1, 7, 100, 13, 512, 64, 3]) {
    for (;;) {
      const b = await log.serve(ra.readAt(offset, size));
      got.push(b);
      offset += b.length;
      if (b.length < size || offset > 5000) break;
    }
  }
  while (offset < log.data.length) {
    const b = await log.serve(ra.readAt(offset, 999));
    got.push(b);
    offset += b.length;
  }
  assert.ok(Buffer.concat(got).equals(log.data));
  assert.equal(log.maxInFlight, 3, 'three ranges in flight at most, and at once');
  assert.equal((await log.serve(ra.readAt(log.data.length, 10))).length, 0, 'at the end: nothing yet');
});

test('a short range drops the ranges past it; bytes written later arrive without a gap', async () => {
  const log = new HeldLog();
  log.grow(100);
  const ra = new LogReadAhead(log.read, { requestBytes: 40, depth: 2, windowBytes: 200 });
  const first = await log.serve(ra.readAt(0, 40));
  assert.ok(first.equals(log.data.subarray(0, 40)));
  // Now [40, 80) and [80, 120) are in flight. The first sees 60 bytes of log; then it grows.
  assert.deepEqual(
    log.pending.map((p) => [p.offset, p.want]),
    [
      [40, 40],
      [80, 40],
    ],
  );
  log.data = log.data.subarray(0, 60);
  log.pending[0].answer();
  log.grow(240);
  log.pending[0].answer(); // [80, 120) is full now, but 60..80 was never read with it
  const parts = [first];
  let offset = 40;
  while (offset < log.data.length) {
    const b = await log.serve(ra.readAt(offset, 50));
    parts.push(b);
    offset += b.length;
  }
  assert.ok(Buffer.concat(parts).equals(log.data));
});

test('a failed range is dropped quietly; the reader reads there itself, and its own failure is reported', async () => {
  const log = new HeldLog();
  log.grow(300);
  const ra = new LogReadAhead(log.read, { requestBytes: 50, depth: 2, windowBytes: 200 });
  const parts = [await log.serve(ra.readAt(0, 50))];
  log.pending[0].answer(true);
  log.pending[0].answer(true);
  const retry = ra.readAt(50, 50);
  await new Promise((r) => setImmediate(r));
  assert.equal(log.pending[0].offset, 50, 'read again at the same offset');
  log.pending[0].answer(true);
  await assert.rejects(retry, /link dropped/);
  log.auto = true;
  let offset = 50;
  while (offset < log.data.length) {
    const b = await ra.readAt(offset, 70);
    parts.push(b);
    offset += b.length;
  }
  assert.ok(Buffer.concat(parts).equals(log.data));
});
