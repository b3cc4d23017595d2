// Errors of a generation task (free-text answers) where they concentrate: error rates by the
// reference's and the prompt's length (tercile buckets of this node's validation set) and by data
// source, and against the parent node on the same validation examples: which ones this node fixed
// and which it broke. "Long answers fail 3× as often" or "fixed 12, broke 9" says what a change did;
// the overall score alone does not.
import { inline } from '../text';

/** What these functions read of a prediction record (predictions.jsonl). */
export interface ScoredExample {
  prompt: string;
  expected: string;
  predicted: string;
  correct: boolean;
  /** The evaluator's example id, when it writes one (LLM tasks: "<source>:<index>"). */
  id?: string;
  /** The data source the example came from, when the evaluator says. */
  source?: string;
}

export interface Slice {
  name: string;
  count: number;
  wrong: number;
  errorRate: number;
}

export interface GenerationSlices {
  /** By the reference answer's length in characters (up to three buckets). */
  byReferenceLength: Slice[];
  /** By the prompt's length in characters (up to three buckets). */
  byPromptLength: Slice[];
  /** By data source; empty when the predictions name fewer than two sources. */
  bySource: Slice[];
}

export interface ChangedExample {
  prompt: string;
  expected: string;
  predicted: string;
  parentPredicted: string;
}

export interface ParentDiff {
  parentId: string;
  /** Validation examples both nodes predicted. */
  matched: number;
  /** Wrong in the parent, right in this node. */
  fixed: number;
  /** Right in the parent, wrong in this node. */
  broken: number;
  stillWrong: number;
  fixedExamples: ChangedExample[];
  brokenExamples: ChangedExample[];
}

const BUCKETS = 3;
const MAX_SOURCES = 8;
export const MAX_CHANGED_EXAMPLES = 3;

function slice(name: string, rows: readonly ScoredExample[]): Slice {
  const wrong = rows.filter((r) => !r.correct).length;
  return { name, count: rows.length, wrong, errorRate: rows.length ? wrong / rows.length : 0 };
}

/**
 * Up to BUCKETS slices by length, cut at this set's own terciles so each holds about a third of the
 * examples (ties keep equal lengths together). Empty when every example has the same length.
 */
export function lengthSlices(rows: readonly ScoredExample[], lengthOf: (r: ScoredExample) => number): Slice[] {
  const lens = rows.map(lengthOf).sort((a, b) => a - b);
  if (lens.length === 0) return [];
  const max = lens[lens.length - 1];
  const cuts = [...new Set(Array.from({ length: BUCKETS - 1 }, (_, k) => lens[Math.ceil(((k + 1) * lens.length) / BUCKETS) - 1]))].filter((c) => c < max);
  if (cuts.length === 0) return [];
  const bounds = [...cuts, max];
  return bounds.map((hi, i) => {
    const lo = i === 0 ? -Infinity : bounds[i - 1];
    const name = i === 0 ? `≤${hi}` : i === bounds.length - 1 ? `>${lo}` : lo + 1 === hi ? `${hi}` : `${lo + 1}–${hi}`;
    return slice(`${name} chars`, rows.filter((r) => lengthOf(r) > lo && lengthOf(r) <= hi));
  });
}

/** Slices by source, largest first; sources past MAX_SOURCES are pooled. Empty with fewer than two sources. */
export function sourceSlices(rows: readonly ScoredExample[]): Slice[] {
  const bySource = new Map<string, ScoredExample[]>();
  for (const r of rows) if (r.source) bySource.set(r.source, [...(bySource.get(r.source) ?? []), r]);
  if (bySource.size < 2) return [];
  const ranked = [...bySource.entries()].sort((a, b) => b[1].length - a[1].length || a[0].localeCompare(b[0]));
  const out = ranked.slice(0, MAX_SOURCES).map(([name, rs]) => slice(name, rs));
  const rest = ranked.slice(MAX_SOURCES).flatMap(([, rs]) => rs);
  const unnamed = rows.filter((r) => !r.source);
  if (rest.length) out.push(slice(`(${ranked.length - MAX_SOURCES} other sources)`, rest));
  if (unnamed.length) out.push(slice('(no source)', unnamed));
  return out;
}

export function generationSlices(rows: readonly ScoredExample[]): GenerationSlices {
  return {
    byReferenceLength: lengthSlices(rows, (r) => r.expected.trim().length),
    byPromptLength: lengthSlices(rows, (r) => r.prompt.length),
    bySource: sourceSlices(rows),
  };
}

/**
 * The same example in two prediction files: the evaluator's id (stable under a template change,
 * which rewrites the prompt) with the reference, else the prompt with the reference.
 */
const exampleKey = (r: ScoredExample) => `${r.id ?? r.prompt}\u0000${r.expected}`;

/**
 * Which of the parent's validation examples this node fixed and which it broke, with the first
 * few of each (in this node's order). Undefined when the two share no example.
 */
export function diffAgainstParent(parentId: string, rows: readonly ScoredExample[], parentRows: readonly ScoredExample[], maxExamples = MAX_CHANGED_EXAMPLES): ParentDiff | undefined {
  const parent = new Map(parentRows.map((r) => [exampleKey(r), r]));
  const d: ParentDiff = { parentId, matched: 0, fixed: 0, broken: 0, stillWrong: 0, fixedExamples: [], brokenExamples: [] };
  for (const r of rows) {
    const p = parent.get(exampleKey(r));
    if (!p) continue;
    d.matched++;
    const changed = { prompt: r.prompt, expected: r.expected, predicted: r.predicted, parentPredicted: p.predicted };
    if (r.correct && !p.correct) {
      d.fixed++;
      if (d.fixedExamples.length < maxExamples) d.fixedExamples.push(changed);
    } else if (!r.correct && p.correct) {
      d.broken++;
      if (d.brokenExamples.length < maxExamples) d.brokenExamples.push(changed);
    } else if (!r.correct) {
      d.stillWrong++;
    }
  }
  return d.matched ? d : undefined;
}

const pct = (x: number) => `${(100 * x).toFixed(0)}%`;
const q = (s: string) => JSON.stringify(inline(s, 60));

/** One line per dimension: "name wrong/count (rate)" for each slice. */
export function sliceLines(s: GenerationSlices): string[] {
  const line = (what: string, xs: Slice[]) => (xs.length ? [`- ${what}: ${xs.map((x) => `${x.name} ${x.wrong}/${x.count} wrong (${pct(x.errorRate)})`).join('; ')}`] : []);
  return [...line('reference length', s.byReferenceLength), ...line('prompt length', s.byPromptLength), ...line('source', s.bySource)];
}

export function diffSummary(d: ParentDiff): string {
  return `Of ${d.matched} validation examples both predicted: ${d.fixed} fixed (wrong in ${d.parentId}, right here), ${d.broken} broken (right in ${d.parentId}, wrong here), ${d.stillWrong} wrong in both.`;
}

/** Markdown sections for bad_cases.md: the slices and the diff against the parent, bounded in size. */
export function renderGenerationErrors(s: GenerationSlices | undefined, d: ParentDiff | undefined): string[] {
  const lines: string[] = [];
  const slices = s ? sliceLines(s) : [];
  if (slices.length) lines.push('## Error rate by slice (validation)', '', ...slices, '');
  if (d) {
    lines.push(`## Against the parent ${d.parentId} (same validation examples)`, '', diffSummary(d), '');
    if (d.fixedExamples.length) lines.push(`Fixed (${d.fixedExamples.length} of ${d.fixed}):`, ...d.fixedExamples.map((x) => `- ${q(x.prompt)} → ${q(x.expected)}; ${d.parentId} said ${q(x.parentPredicted)}`), '');
    if (d.brokenExamples.length) lines.push(`Broken (${d.brokenExamples.length} of ${d.broken}):`, ...d.brokenExamples.map((x) => `- ${q(x.prompt)} → ${q(x.expected)}; now ${q(x.predicted)}`), '');
  }
  return lines;
}
