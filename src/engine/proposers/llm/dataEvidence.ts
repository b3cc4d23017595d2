// What a node actually trained on, from its data_stats.json (written by the prepare stage on the
// training machine, so validated field by field here): examples kept, dropped per filter, mixing
// by source, prompt/response lengths, and a few formatted training samples.
import { isPlainObject } from '../../util/isPlainObject';
import { inline } from '../../llm/text';
import { readBounded } from './boundedRead';

export interface LengthSummary {
  mean: number;
  max: number;
}

export interface DataStats {
  kept: number;
  dropped: Record<string, number>;
  bySource: Record<string, number>;
  promptChars?: LengthSummary;
  responseChars?: LengthSummary;
  promptTokens?: LengthSummary;
  responseTokens?: LengthSummary;
  samples: { prompt: string; response: string }[];
}

const MAX_STATS_BYTES = 256 * 1024;

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

function counts(v: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  if (!isPlainObject(v)) return out;
  for (const [k, x] of Object.entries(v)) if (num(x) !== undefined) out[k] = x as number;
  return out;
}

function lengths(v: unknown): LengthSummary | undefined {
  if (!isPlainObject(v)) return undefined;
  const mean = num(v.mean);
  const max = num(v.max);
  return mean !== undefined && max !== undefined ? { mean, max } : undefined;
}

/** The node's data_stats.json, or undefined when it is missing or not the expected shape. */
export function readDataStats(path: string): DataStats | undefined {
  const text = readBounded(path, MAX_STATS_BYTES);
  if (text === undefined) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isPlainObject(raw) || num(raw.num_examples) === undefined) return undefined;
  const samples = Array.isArray(raw.samples)
    ? raw.samples.filter(isPlainObject).map((s) => ({ prompt: String(s.prompt ?? ''), response: String(s.response ?? '') }))
    : [];
  return {
    kept: raw.num_examples as number,
    dropped: counts(raw.dropped),
    bySource: counts(raw.by_source),
    promptChars: lengths(raw.prompt_chars),
    responseChars: lengths(raw.response_chars),
    promptTokens: lengths(raw.prompt_tokens),
    responseTokens: lengths(raw.response_tokens),
    samples,
  };
}

const pairs = (r: Record<string, number>) => Object.entries(r).map(([k, v]) => `${inline(k, 40)} ${v}`).join(', ');
const len = (name: string, l: LengthSummary | undefined) => (l ? `${name} mean ${l.mean} max ${l.max}` : '');

/** One line: "kept 200 examples; dropped by filter: dedup 3; by source: main 200; prompt chars mean 9.5 max 10 …" (the lengths only when asked). */
export function describeDataStats(s: DataStats, withLengths = true): string {
  const dropped = Object.keys(s.dropped).length ? pairs(s.dropped) : 'none';
  return [
    `kept ${s.kept} examples`,
    `dropped by filter: ${dropped}`,
    Object.keys(s.bySource).length ? `by source: ${pairs(s.bySource)}` : '',
    ...(withLengths ? [len('prompt chars', s.promptChars), len('response chars', s.responseChars), len('prompt tokens', s.promptTokens), len('response tokens', s.responseTokens)] : []),
  ]
    .filter(Boolean)
    .join('; ');
}

/** A few formatted training samples as the model saw them, each capped. */
export function describeSamples(s: DataStats, count: number, maxChars: number): string {
  return s.samples
    .slice(0, count)
    .map((x, i) => `Sample ${i + 1}:\n  prompt: ${JSON.stringify(x.prompt.slice(0, maxChars))}\n  response: ${JSON.stringify(x.response.slice(0, maxChars))}`)
    .join('\n');
}
