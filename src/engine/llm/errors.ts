// Every way an LLM call can fail, as one error type with a kind, so callers can record a clear
// reason ("timeout", "refusal: …") instead of a stack trace, and decide what is worth retrying.
import { redact } from '../secrets';

export type LlmErrorKind =
  | 'budget' // the experiment's LLM budget is spent: no call was made
  | 'aborted' // the caller's signal fired
  | 'timeout'
  | 'rate_limited' // 429 after the client's own retries
  | 'http' // any other non-2xx status after retries
  | 'connection'
  | 'too_large' // the reply exceeded the byte cap
  | 'truncated' // finish_reason 'length' or a stream cut short
  | 'refusal'
  | 'empty' // no content and no tool call
  | 'malformed' // not JSON where JSON was asked for
  | 'schema'; // JSON, but not what the schema asks for

export class LlmError extends Error {
  constructor(
    readonly kind: LlmErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'LlmError';
  }

  /** Reply-content problems: worth showing the model its mistake and asking again. */
  get correctable(): boolean {
    return this.kind === 'malformed' || this.kind === 'schema' || this.kind === 'empty' || this.kind === 'truncated';
  }
}

export function isLlmError(e: unknown, kind?: LlmErrorKind): e is LlmError {
  return e instanceof LlmError && (kind === undefined || e.kind === kind);
}

/** One line for logs and records, whatever was thrown. */
export function describeError(e: unknown): string {
  if (e instanceof LlmError) return redact(`${e.kind}: ${e.message}`);
  if (e instanceof Error) return redact(e.message);
  return redact(String(e));
}
