// One token budget for the whole proposal prompt. Each part has its own cap; when the capped parts
// still exceed the budget, the largest cuttable bodies are trimmed to a common ceiling (the small
// ones stay whole), whole lines at a time. Headings are never cut, so every section the model is told about is present.
import { truncateMiddle } from '../../llm/text';

export interface PromptPart {
  /** The heading line(s), kept whole. */
  head: string;
  body: string;
  /** Characters the body may use at most; fixed parts are never trimmed further. */
  capChars?: number;
  fixed?: boolean;
  /** A ranked list keeps its head when trimmed; anything else keeps its start and end. */
  ranked?: boolean;
}

/** A body is never trimmed below this many characters (a marker and some text on each side). */
export const MIN_BODY_CHARS = 240;

/**
 * The largest ceiling c with Σ min(size, c) ≤ room, for sizes that together exceed room; never
 * below `floor`.
 */
export function waterLevel(sizes: readonly number[], room: number, floor: number): number {
  const sorted = [...sizes].sort((a, b) => a - b);
  let left = room;
  for (let i = 0; i < sorted.length; i++) {
    const share = left / (sorted.length - i);
    if (sorted[i] > share) return Math.max(floor, Math.floor(share));
    left -= sorted[i];
  }
  return Math.max(floor, sorted[sorted.length - 1] ?? floor);
}

/**
 * Cuts whole lines from the middle (a list keeps its first entries and its last), marking how many;
 * falls back to a character cut when one line alone is over the limit.
 */
export function trimLines(s: string, max: number, ranked = false): string {
  if (s.length <= max) return s;
  const lines = s.split('\n');
  const marker = (n: number) => `…[${n} line(s) cut]…`;
  const room = max - marker(lines.length).length - 1;
  const head: string[] = [];
  const tail: string[] = [];
  let used = 0;
  let lo = 0;
  let hi = lines.length - 1;
  // Two thirds of the room for the head (all of it for a ranked list), the rest for the tail, line by line.
  while (lo <= hi && used + lines[lo].length + 1 <= room * (ranked ? 1 : 0.67)) used += lines[lo++].length + 1, head.push(lines[lo - 1]);
  while (!ranked && hi >= lo && used + lines[hi].length + 1 <= room) used += lines[hi--].length + 1, tail.unshift(lines[hi + 1]);
  if (head.length + tail.length === 0) return truncateMiddle(s, max);
  return [...head, marker(hi - lo + 1), ...tail].join('\n');
}

/** Each part as text ("head\n\nbody\n"), capped, the cuttable ones trimmed so the total fits maxChars where it can. */
export function fitParts(parts: readonly PromptPart[], maxChars: number): string[] {
  const bodies = parts.map((p) => {
    const b = p.body.trim();
    return p.capChars !== undefined ? trimLines(b, p.capChars, p.ranked) : b;
  });
  const render = (p: PromptPart, body: string) => (body ? `${p.head}\n\n${body}\n` : '');
  const total = parts.reduce((n, p, i) => n + render(p, bodies[i]).length, 0);
  if (total > maxChars) {
    const cuttable = parts.map((p, i) => (!p.fixed && bodies[i] ? i : -1)).filter((i) => i >= 0);
    const room = maxChars - (total - cuttable.reduce((n, i) => n + bodies[i].length, 0));
    const level = waterLevel(cuttable.map((i) => bodies[i].length), room, MIN_BODY_CHARS);
    for (const i of cuttable) bodies[i] = trimLines(bodies[i], level, parts[i].ranked);
  }
  return parts.map((p, i) => render(p, bodies[i]));
}
