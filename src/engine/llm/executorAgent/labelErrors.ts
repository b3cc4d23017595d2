// Errors of a label task (classification: every expected answer is one of a few short labels) as
// a confusion matrix and per-class error rates: "negative read as positive 14×" says what to fix;
// string-shape groups ("same length, several characters wrong") say nothing about labels.

/** At most this many labels, each at most MAX_LABEL_CHARS, and on average at least MIN_PER_LABEL examples each. */
const MAX_LABELS = 20;
const MAX_LABEL_CHARS = 40;
const MIN_PER_LABEL = 5;
/** The column for predictions that are none of the labels. */
export const OTHER = '(other)';

export interface ClassErrors {
  label: string;
  /** Validation examples with this expected label. */
  support: number;
  wrong: number;
  /** Share of this label's examples predicted right. */
  recall: number;
  /** Share of predictions of this label that were right (undefined when never predicted). */
  precision?: number;
  /** The wrong prediction most often made for this label, with its count. */
  topConfusion?: { predicted: string; count: number };
}

export interface LabelConfusion {
  labels: string[];
  /** Columns: the labels, then OTHER when some prediction was none of them. */
  columns: string[];
  /** matrix[i][j]: expected labels[i], predicted columns[j]. */
  matrix: number[][];
  perClass: ClassErrors[];
}

interface Row {
  expected: string;
  predicted: string;
  correct: boolean;
}

/** The confusion of a label task, or undefined when the expected answers are not a small label set. */
export function labelConfusion(rows: readonly Row[]): LabelConfusion | undefined {
  const labels = [...new Set(rows.map((r) => r.expected.trim()))].sort();
  if (labels.length < 2 || labels.length > MAX_LABELS || labels.some((l) => !l || l.length > MAX_LABEL_CHARS)) return undefined;
  if (rows.length < labels.length * MIN_PER_LABEL) return undefined;
  const index = new Map(labels.map((l, i) => [l, i]));
  const other = rows.some((r) => !r.correct && !index.has(r.predicted.trim()));
  const columns = other ? [...labels, OTHER] : labels;
  const matrix = labels.map(() => columns.map(() => 0));
  for (const r of rows) {
    const e = index.get(r.expected.trim())!;
    // The evaluator's verdict decides right or wrong (it may normalise case or spacing).
    const p = r.correct ? e : (index.get(r.predicted.trim()) ?? labels.length);
    matrix[e][p]++;
  }
  const perClass = labels.map((label, i): ClassErrors => {
    const support = matrix[i].reduce((a, b) => a + b, 0);
    const wrong = support - matrix[i][i];
    const predictedAs = matrix.reduce((a, row) => a + row[i], 0);
    let top: ClassErrors['topConfusion'];
    matrix[i].forEach((count, j) => {
      if (j !== i && count > 0 && (!top || count > top.count)) top = { predicted: columns[j], count };
    });
    return { label, support, wrong, recall: support ? matrix[i][i] / support : 0, precision: predictedAs ? matrix[i][i] / predictedAs : undefined, topConfusion: top };
  });
  return { labels, columns, matrix, perClass };
}

/** The wrong (expected → predicted) pairs, most frequent first. */
export function confusionPairs(c: LabelConfusion): { pattern: string; count: number }[] {
  const out: { pattern: string; count: number }[] = [];
  c.matrix.forEach((row, i) => row.forEach((count, j) => j !== i && count > 0 && out.push({ pattern: `${c.labels[i]} → ${c.columns[j]}`, count })));
  return out.sort((a, b) => b.count - a.count);
}

const esc = (s: string) => s.replace(/\|/g, '\\|');
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/** Markdown: the matrix (rows expected, columns predicted) and a per-class table. */
export function renderLabelConfusion(c: LabelConfusion): string[] {
  const lines = ['## Confusion matrix (rows: expected, columns: predicted)', '', `| expected \\ predicted | ${c.columns.map(esc).join(' | ')} |`, `|---|${c.columns.map(() => '---:').join('|')}|`];
  c.labels.forEach((l, i) => lines.push(`| ${esc(l)} | ${c.matrix[i].join(' | ')} |`));
  lines.push('', '## Errors per class', '', '| class | examples | wrong | recall | precision | most often mistaken for |', '|---|---:|---:|---:|---:|---|');
  for (const k of [...c.perClass].sort((a, b) => b.wrong / Math.max(1, b.support) - a.wrong / Math.max(1, a.support))) {
    const top = k.topConfusion ? `${esc(k.topConfusion.predicted)} (${k.topConfusion.count})` : '—';
    lines.push(`| ${esc(k.label)} | ${k.support} | ${k.wrong} | ${pct(k.recall)} | ${k.precision !== undefined ? pct(k.precision) : '—'} | ${top} |`);
  }
  lines.push('');
  return lines;
}
