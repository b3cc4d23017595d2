// Pure arithmetic for the token section: mean and max of a series, each part's share of a total,
// and the size of what a request sends the model.
import { CHARS_PER_TOKEN, requestChars, type SentRequest } from '../src/engine/llm/tokenEstimate';

export interface MeanMax {
  n: number;
  mean: number;
  max: number;
}

export function meanMax(values: readonly number[]): MeanMax {
  if (values.length === 0) return { n: 0, mean: 0, max: 0 };
  return { n: values.length, mean: values.reduce((a, b) => a + b, 0) / values.length, max: Math.max(...values) };
}

/** Each part's fraction of the sum of all parts (0 for every part when the sum is 0), in the given order. */
export function shares(parts: readonly { name: string; tokens: number }[]): { name: string; tokens: number; share: number }[] {
  const total = parts.reduce((a, p) => a + p.tokens, 0);
  return parts.map((p) => ({ ...p, share: total > 0 ? p.tokens / total : 0 }));
}

export type { SentRequest };

/** Characters of everything a request sends the model (the same count the ledger estimates with). */
export const sentChars = requestChars;

/** sentChars with the ledger's estimate of characters per token. */
export function sentTokens(body: SentRequest): number {
  return Math.ceil(sentChars(body) / CHARS_PER_TOKEN);
}

/** Estimated tokens of each part of a Markdown prompt, split at its `#` and `##` headings, largest first. */
export function tokensByHeading(prompt: string): { heading: string; tokens: number }[] {
  const parts: { heading: string; chars: number }[] = [];
  let current = { heading: '(before the first heading)', chars: 0 };
  for (const line of prompt.split('\n')) {
    const m = /^#{1,2} (.*)$/.exec(line);
    if (m) {
      if (current.chars > 0) parts.push(current);
      current = { heading: m[1].replace(/\s*\(.*$/, '').trim(), chars: 0 };
    }
    current.chars += line.length + 1;
  }
  if (current.chars > 0) parts.push(current);
  return parts.map((p) => ({ heading: p.heading, tokens: Math.ceil(p.chars / CHARS_PER_TOKEN) })).sort((a, b) => b.tokens - a.tokens);
}
