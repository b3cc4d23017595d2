// A stage's log is copied into nodes/<id>/logs/ chunk by chunk, resuming from the local file's
// size. Secrets in it are masked byte for byte ('*' per byte) rather than replaced with
// [REDACTED], so the copy keeps the remote log's length and offsets still line up on resume.
// Masking works on whole lines (a secret or token split across two reads is seen whole): the
// unfinished last line waits for its end, and a resume re-reads it because the local file lacks it.
import { BEARER_CREDENTIAL, knownSecrets, SK_CREDENTIAL } from '../secrets';

const STAR = 0x2a;
const LF = 0x0a;
const CR = 0x0d;
/** A line longer than this without an end is written up to its last TAIL bytes (a bar that never ends). */
const MAX_PENDING = 64 * 1024;
const TAIL = 4096;
/** Credential shapes masked even when their value is not known, the same ones redact() knows. */
const CREDENTIAL_SHAPES = [BEARER_CREDENTIAL, SK_CREDENTIAL];

export class LogMask {
  private readonly secrets: Buffer[];
  private pending = Buffer.alloc(0);

  constructor(secrets: string[] = knownSecrets()) {
    this.secrets = secrets.map((s) => Buffer.from(s, 'utf8')).filter((b) => b.length > 0);
  }

  /** The masked bytes of every line finished so far (a progress bar's '\r' ends a line too). */
  push(chunk: Buffer): Buffer {
    const data = Buffer.concat([this.pending, chunk]);
    let cut = Math.max(data.lastIndexOf(LF), data.lastIndexOf(CR)) + 1;
    if (data.length - cut > MAX_PENDING) cut = data.length - TAIL;
    this.pending = Buffer.from(data.subarray(cut));
    return this.mask(Buffer.from(data.subarray(0, cut)));
  }

  /** The unfinished last line, masked, once the log is complete. */
  flush(): Buffer {
    const rest = this.pending;
    this.pending = Buffer.alloc(0);
    return this.mask(rest);
  }

  /** Masks, in place, every occurrence of each secret and every credential-shaped token. */
  private mask(data: Buffer): Buffer {
    for (const s of this.secrets) {
      for (let at = data.indexOf(s); at !== -1; at = data.indexOf(s, at + s.length)) data.fill(STAR, at, at + s.length);
    }
    // latin1 maps byte i to char i, so string indices are byte offsets.
    const text = data.toString('latin1');
    for (const shape of CREDENTIAL_SHAPES) {
      for (const m of text.matchAll(shape)) {
        const token = m[m.length - 1];
        const start = (m.index ?? 0) + m[0].length - token.length;
        data.fill(STAR, start, start + token.length);
      }
    }
    return data;
  }
}
