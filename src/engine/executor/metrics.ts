// Reads metrics.json as written by the evaluate stage, validating its shape at the boundary. Its
// provenance is checked first: the file must be byte for byte what the evaluate stage left
// (recorded as a sha256 when that stage exited), so a result written by anything else (an agent
// command, a file planted before evaluate ran, an edit after it) is refused with the reason.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { JsonObject } from '../spec/types';
import { isPlainObject } from '../util/isPlainObject';

export interface ParsedMetrics {
  score: number;
  testScore?: number;
  raw: JsonObject;
}

/** sha256 of a file, or undefined when it cannot be read. */
export function fileSha256(path: string): string | undefined {
  try {
    return createHash('sha256').update(readFileSync(path)).digest('hex');
  } catch {
    return undefined;
  }
}

/** `evaluatedSha256`: what the evaluate stage left (from its stage_finished event); required. */
export function readMetrics(path: string, metric: string, evaluatedSha256: string | undefined): ParsedMetrics {
  if (!evaluatedSha256) throw new Error('metrics.json refused: no record that the evaluate stage wrote it (results come only from the evaluate stage)');
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new Error(`metrics.json is missing: ${(e as Error).message}`);
  }
  if (createHash('sha256').update(bytes).digest('hex') !== evaluatedSha256) throw new Error('metrics.json refused: it changed after the evaluate stage wrote it (results come only from the evaluate stage)');
  let raw: unknown;
  try {
    raw = JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    throw new Error(`metrics.json is not JSON: ${(e as Error).message}`);
  }
  if (!isPlainObject(raw)) throw new Error('metrics.json must be an object');
  const obj = raw as JsonObject;
  const pick = (split: string): number | undefined => {
    const s = obj[split];
    if (!isPlainObject(s)) return undefined;
    const v = s[metric];
    return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
  };
  const score = pick('validation');
  if (score === undefined) throw new Error(`metrics.json has no numeric validation.${metric}`);
  return { score, testScore: pick('test'), raw: obj };
}
