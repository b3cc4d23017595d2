// Follows a growing log file by reading only new bytes from an offset, keeping at most `capBytes`
// of its end in memory: a 100 MB log costs one read of its last megabyte, then small reads.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { renderProgressLines } from '../../engine';

const MAX_READ = 4 << 20;

export class LogTail {
  private offset = 0;
  private text = '';
  private decoder = new StringDecoder('utf8');
  /** Bytes of the file not shown because they are older than the cap. */
  private skippedBytes = 0;
  private size = 0;

  constructor(
    readonly path: string,
    private readonly capBytes: number,
  ) {}

  get totalBytes(): number {
    return this.size;
  }

  get truncated(): boolean {
    return this.skippedBytes > 0;
  }

  /** Reads what was appended since the last poll; true when the shown text changed. */
  poll(): boolean {
    let fd: number;
    try {
      fd = openSync(this.path, 'r');
    } catch {
      if (this.offset === 0 && this.text === '') return false;
      this.reset(); // the file went away (a re-run clears the node's logs)
      return true;
    }
    try {
      const size = fstatSync(fd).size;
      if (size < this.offset) this.reset(); // truncated or rewritten: start over
      this.size = size;
      if (size === this.offset) return false;
      let from = this.offset;
      const skipping = size - from > this.capBytes;
      if (skipping) {
        // More new bytes than we show: skip straight to the last capBytes.
        from = size - this.capBytes;
        this.skippedBytes += from - this.offset;
        this.text = '';
        this.decoder = new StringDecoder('utf8');
      }
      while (from < size) {
        const len = Math.min(MAX_READ, size - from);
        const buf = Buffer.alloc(len);
        const got = readSync(fd, buf, 0, len, from);
        if (got === 0) break;
        this.text += this.decoder.write(buf.subarray(0, got));
        from += got;
      }
      this.offset = from;
      if (skipping) this.dropPartialFirstLine();
      this.trim();
      return true;
    } finally {
      closeSync(fd);
    }
  }

  /** The text to show, progress lines rendered for people, with a first line saying what was left out. */
  content(): string {
    const text = renderProgressLines(this.text);
    if (!this.truncated) return text;
    const mb = (b: number) => `${(b / 2 ** 20).toFixed(1)} MB`;
    return `[TREX] Showing the last ${mb(this.size - this.skippedBytes)} of ${mb(this.size)}; open ${this.path} for the whole log.\n${text}`;
  }

  private trim(): void {
    const bytes = Buffer.byteLength(this.text, 'utf8');
    if (bytes <= this.capBytes) return;
    // Cut at a line start so the first shown line is whole.
    const over = bytes - this.capBytes;
    let cut = Math.min(this.text.length, over);
    const nl = this.text.indexOf('\n', cut);
    if (nl >= 0) cut = nl + 1;
    this.skippedBytes += Buffer.byteLength(this.text.slice(0, cut), 'utf8');
    this.text = this.text.slice(cut);
  }

  private dropPartialFirstLine(): void {
    const nl = this.text.indexOf('\n');
    if (nl < 0) return;
    this.skippedBytes += Buffer.byteLength(this.text.slice(0, nl + 1), 'utf8');
    this.text = this.text.slice(nl + 1);
  }

  private reset(): void {
    this.offset = 0;
    this.text = '';
    this.size = 0;
    this.skippedBytes = 0;
    this.decoder = new StringDecoder('utf8');
  }
}
