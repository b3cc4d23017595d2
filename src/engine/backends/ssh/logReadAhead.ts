// Pipelined read-ahead over a log that only grows. Bytes are kept by absolute offset, so a range
// read is valid whenever it lands, on any connection: a drop only costs a retry, never a byte.
// While reads come back full (a backlog on the host), the next ranges are already in flight on
// other command sessions, so a bulk drain streams instead of paying one round trip per range.

/** Reads bytes [offset, offset + want) of the log; fewer means its end for now. */
export type RangeReader = (offset: number, want: number) => Promise<Buffer>;

interface Fetch {
  offset: number;
  want: number;
  /** Never rejects: a failed prefetch is dropped and the reader's own read reports the error. */
  result: Promise<Buffer | Error>;
}

export interface ReadAheadOptions {
  /** Bytes per range request. */
  requestBytes: number;
  /** Range requests in flight at once. */
  depth: number;
  /** Bytes held in memory, fetched and in flight together. */
  windowBytes: number;
}

export class LogReadAhead {
  /** Offset of segs[0][0]; the cached bytes are [start, start + cached). */
  private start = 0;
  private segs: Buffer[] = [];
  private cached = 0;
  /** Consecutive, the first at start + cached. */
  private fetches: Fetch[] = [];
  /** The last completed read was full: more is probably waiting on the host. */
  private backlog = false;

  constructor(
    private readonly read: RangeReader,
    private readonly opts: ReadAheadOptions,
  ) {}

  /** Bytes from `offset`, at most `max`; empty when the log has nothing there yet. */
  async readAt(offset: number, max: number): Promise<Buffer> {
    for (;;) {
      const end = this.start + this.cached;
      const next = this.fetches[0];
      if (offset >= this.start && offset < end) {
        // A short answer means "the end for now" to the caller: not while the rest is on its way.
        if (next && end - offset < max) {
          await this.settle(next);
          continue;
        }
        const out = this.slice(offset, max);
        // Served bytes are the reader's now; a reader that has caught up holds no memory here.
        this.dropBefore(offset + out.length);
        this.fill();
        return out;
      }
      if (next && offset === end) {
        await this.settle(next);
        continue;
      }
      // Outside the window (a fresh reader, a seek, or caught up with the writer): read here.
      this.restartAt(offset);
      const want = Math.max(max, this.opts.requestBytes);
      const got = await this.read(offset, want);
      if (this.start === offset && this.cached === 0 && this.fetches.length === 0) {
        if (got.length) this.push(got);
        this.backlog = got.length >= want;
        this.fill();
      }
      return Buffer.from(got.subarray(0, max));
    }
  }

  private restartAt(offset: number): void {
    this.start = offset;
    this.segs = [];
    this.cached = 0;
    this.fetches = [];
    this.backlog = false;
  }

  /** Starts range reads past what is cached while the host has a backlog and the window has room. */
  private fill(): void {
    if (!this.backlog) return;
    let inFlight = this.fetches.reduce((n, f) => n + f.want, 0);
    while (this.fetches.length < this.opts.depth && this.cached + inFlight + this.opts.requestBytes <= this.opts.windowBytes) {
      const offset = this.start + this.cached + inFlight;
      const want = this.opts.requestBytes;
      const result = this.read(offset, want).then(
        (b) => b,
        (e: unknown) => (e instanceof Error ? e : new Error(String(e))),
      );
      this.fetches.push({ offset, want, result });
      inFlight += want;
    }
  }

  private async settle(f: Fetch): Promise<void> {
    const r = await f.result;
    if (this.fetches[0] !== f) return; // the window moved on meanwhile
    this.fetches.shift();
    if (r instanceof Error || f.offset !== this.start + this.cached) {
      this.fetches = [];
      this.backlog = false;
      return;
    }
    if (r.length) this.push(r);
    this.backlog = r.length >= f.want;
    // Reads past a short one started beyond the end of the log as it was: their offsets leave a gap.
    if (!this.backlog) this.fetches = [];
    this.fill();
  }

  private push(b: Buffer): void {
    this.segs.push(b);
    this.cached += b.length;
  }

  private slice(offset: number, max: number): Buffer {
    const parts: Buffer[] = [];
    let skip = offset - this.start;
    let left = max;
    for (const s of this.segs) {
      if (left <= 0) break;
      if (skip >= s.length) {
        skip -= s.length;
        continue;
      }
      const part = s.subarray(skip, skip + left);
      parts.push(part);
      left -= part.length;
      skip = 0;
    }
    return Buffer.concat(parts);
  }

  /** Forgets bytes before `offset`. */
  private dropBefore(offset: number): void {
    let drop = offset - this.start;
    while (this.segs.length && drop >= this.segs[0].length) {
      drop -= this.segs[0].length;
      this.cached -= this.segs[0].length;
      this.start += this.segs[0].length;
      this.segs.shift();
    }
    if (drop > 0) {
      this.segs[0] = this.segs[0].subarray(drop);
      this.cached -= drop;
      this.start += drop;
    }
  }
}
