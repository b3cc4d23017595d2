// Append-only JSON-lines log, the source of truth of an experiment. Each event is one write()
// of one complete line: once write() returns the line is in the kernel's page cache and survives
// a kill -9 of this process; at worst a torn last line remains, which load() drops and the next
// append repairs. Flushing to the disk itself (against power loss) is batched: one fdatasync
// shortly after a burst of appends, and on close.
import { redactDeep } from '../secrets';
import { closeSync, existsSync, fdatasync, fdatasyncSync, openSync, readFileSync, writeSync, ftruncateSync, fstatSync } from 'node:fs';
import { isPlainObject } from '../util/isPlainObject';

export interface LoadResult<E> {
  events: E[];
  droppedTail: boolean; // a partial last line (crash mid-write) was ignored
  badLines: number[]; // 1-based numbers of lines that were not valid JSON (or not a JSON object)
  lines: number[]; // 1-based line number of each event in `events`
}

export class EventLog<E extends { seq: number }> {
  private fd: number | null = null;
  private nextSeq = 0;
  private listeners = new Set<(e: E) => void>();
  private syncTimer: NodeJS.Timeout | null = null;

  constructor(
    readonly path: string,
    private readonly options: { fsync: boolean } = { fsync: true },
  ) {}

  /** Reads every complete event. Safe to call while another process appends. */
  static read<E>(path: string): LoadResult<E> {
    if (!existsSync(path)) return { events: [], droppedTail: false, badLines: [], lines: [] };
    const text = readFileSync(path, 'utf8');
    const events: E[] = [];
    const badLines: number[] = [];
    const lines: number[] = [];
    let droppedTail = false;
    let start = 0;
    let lineNo = 0;
    while (start < text.length) {
      const end = text.indexOf('\n', start);
      lineNo++;
      if (end === -1) {
        droppedTail = true; // no newline: the write was cut short
        break;
      }
      const line = text.slice(start, end);
      start = end + 1;
      if (line.trim() === '') continue;
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        badLines.push(lineNo);
        continue;
      }
      // A line must be one event object: null, numbers, strings and arrays are skipped.
      if (!isPlainObject(parsed)) {
        badLines.push(lineNo);
        continue;
      }
      events.push(parsed as E);
      lines.push(lineNo);
    }
    return { events, droppedTail, badLines, lines };
  }

  /** Opens for appending; returns the events already in the log. */
  open(): LoadResult<E> {
    const loaded = EventLog.read<E>(this.path);
    this.fd = openSync(this.path, 'a+');
    if (loaded.droppedTail) {
      // Cut the torn tail so the next event starts on a fresh line.
      const text = readFileSync(this.path, 'utf8');
      const keep = Buffer.byteLength(text.slice(0, text.lastIndexOf('\n') + 1), 'utf8');
      ftruncateSync(this.fd, keep);
    }
    // The next seq follows the largest well-formed one; a hostile seq ("3x", 1e308) never propagates.
    let max = -1;
    for (const e of loaded.events) {
      const seq = (e as { seq?: unknown }).seq;
      if (typeof seq === 'number' && Number.isSafeInteger(seq) && seq > max) max = seq;
    }
    this.nextSeq = max + 1;
    return loaded;
  }

  append(event: Omit<E, 'seq'>): E {
    if (this.fd === null) throw new Error(`event log ${this.path} is not open`);
    // Nothing reaches the log with a known secret in it (an error that echoes a key, say).
    const full = redactDeep({ seq: this.nextSeq, ...event } as E);
    const line = JSON.stringify(full) + '\n';
    const buf = Buffer.from(line, 'utf8');
    let written = 0;
    while (written < buf.length) written += writeSync(this.fd, buf, written);
    if (this.options.fsync) this.scheduleSync();
    this.nextSeq++;
    for (const l of this.listeners) l(full);
    return full;
  }

  private scheduleSync(): void {
    if (this.syncTimer) return;
    this.syncTimer = setTimeout(() => {
      this.syncTimer = null;
      if (this.fd !== null) fdatasync(this.fd, () => undefined);
    }, 20);
    this.syncTimer.unref();
  }

  onAppend(listener: (e: E) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  size(): number {
    return this.fd === null ? 0 : fstatSync(this.fd).size;
  }

  close(): void {
    if (this.syncTimer) {
      clearTimeout(this.syncTimer);
      this.syncTimer = null;
    }
    if (this.fd !== null) {
      if (this.options.fsync) fdatasyncSync(this.fd);
      closeSync(this.fd);
      this.fd = null;
    }
  }
}
