// Bad-case analysis: after evaluation, the wrong validation predictions of a node are grouped into
// patterns (computed, not guessed: a confusion matrix and per-class errors for a label task, the
// shape of the mistake otherwise, with error rates by length and source slices and the examples
// fixed and broken against the parent), a sample is shown, and optionally the model explains likely
// causes and fixes. The result, nodes/<id>/bad_cases.md, is read by the Researcher when it
// proposes children of that node. Test predictions are never analysed: they must not steer anything.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { Experiment } from '../../experiment';
import type { LlmClient } from '../client';
import { describeError } from '../errors';
import { compileSchema, isPlainObject } from '../jsonValidation';
import { inline, truncateEnd } from '../text';
import type { UsageTotals } from '../usage';
import { diffAgainstParent, diffSummary, generationSlices, renderGenerationErrors, sliceLines, type GenerationSlices, type ParentDiff, type ScoredExample } from './generationErrors';
import { confusionPairs, labelConfusion, OTHER, renderLabelConfusion, type LabelConfusion } from './labelErrors';

export const BAD_CASES_FILE = 'bad_cases.md';
export const PREDICTIONS_FILE = 'predictions.jsonl';

/** One line of predictions.jsonl. */
export interface Prediction extends ScoredExample {
  split: string;
}

export interface BadCaseReport {
  path: string;
  total: number;
  wrong: number;
  /** Error groups: (expected → predicted) pairs for a label task, string shapes otherwise. */
  patterns: { pattern: string; count: number }[];
  /** For a label task (a few short expected labels): the confusion matrix and per-class errors. */
  confusion?: LabelConfusion;
  /** For a generation task: error rates by reference length, prompt length and source. */
  slices?: GenerationSlices;
  /** Against the parent node's predictions on the same validation examples: fixed and broken. */
  parentDiff?: ParentDiff;
  /** Why the model's analysis is missing, when it is. */
  llmNote?: string;
  markdown: string;
}

const checkLine = compileSchema({
  type: 'object',
  required: ['split', 'prompt', 'expected', 'predicted', 'correct'],
  properties: { split: { type: 'string' }, correct: { type: 'boolean' } },
});

const ANALYSIS_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['summary', 'likely_causes', 'suggestions'],
  properties: {
    summary: { type: 'string' },
    likely_causes: { type: 'array', items: { type: 'string' } },
    suggestions: { type: 'array', items: { type: 'string' }, description: 'Concrete changes to the data recipe or training config.' },
  },
};

interface Analysis {
  summary: string;
  likely_causes: string[];
  suggestions: string[];
}

const asText = (v: unknown) => (typeof v === 'string' ? v : v === null || v === undefined ? '' : JSON.stringify(v));

export function readPredictions(path: string): { rows: Prediction[]; badLines: number } {
  const rows: Prediction[] = [];
  let badLines = 0;
  if (!existsSync(path)) return { rows, badLines };
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      badLines++;
      continue;
    }
    if (!isPlainObject(v) || checkLine(v).length) {
      badLines++;
      continue;
    }
    rows.push({
      split: String(v.split),
      prompt: asText(v.prompt),
      expected: asText(v.expected),
      predicted: asText(v.predicted),
      correct: v.correct === true,
      ...(typeof v.id === 'string' ? { id: v.id } : {}),
      ...(typeof v.source === 'string' && v.source ? { source: v.source } : {}),
    });
  }
  return { rows, badLines };
}

export function errorPattern(expected: string, predicted: string): string {
  const e = expected.trim();
  const p = predicted.trim();
  if (!p) return 'empty prediction';
  if (e.startsWith(p)) return 'cut short (a prefix of the answer)';
  if (p.startsWith(e)) return 'extra text after the answer';
  if (p.length === e.length) {
    let diff = 0;
    for (let i = 0; i < p.length; i++) if (p[i] !== e[i]) diff++;
    return diff === 1 ? 'one character wrong' : 'same length, several characters wrong';
  }
  return p.length < e.length ? 'shorter than the answer' : 'longer than the answer';
}

/** Evenly spaced, so the sample is reproducible and not just the first rows. */
function sampleEvenly<T>(xs: T[], n: number): T[] {
  if (xs.length <= n) return xs;
  const out: T[] = [];
  for (let i = 0; i < n; i++) out.push(xs[Math.floor((i * xs.length) / n)]);
  return out;
}

const cell = (s: string) => inline(s, 80).replace(/\|/g, '\\|') || '∅';

export async function analyzeBadCases(
  exp: Experiment,
  nodeId: string,
  opts: { client?: LlmClient; sample?: number; signal?: AbortSignal; collector?: UsageTotals } = {},
): Promise<BadCaseReport | null> {
  const { rows, badLines } = readPredictions(exp.nodePath(nodeId, PREDICTIONS_FILE));
  const val = rows.filter((r) => r.split === 'validation');
  if (val.length === 0) return null;
  const wrong = val.filter((r) => !r.correct);
  const confusion = labelConfusion(val);
  const counts = new Map<string, number>();
  const patternOf = new Map<Prediction, string>();
  for (const r of wrong) {
    const p = confusion ? `${r.expected.trim()} → ${confusion.labels.includes(r.predicted.trim()) ? r.predicted.trim() : OTHER}` : errorPattern(r.expected, r.predicted);
    patternOf.set(r, p);
    counts.set(p, (counts.get(p) ?? 0) + 1);
  }
  const patterns = confusion ? confusionPairs(confusion) : [...counts.entries()].map(([pattern, count]) => ({ pattern, count })).sort((a, b) => b.count - a.count);
  const sample = sampleEvenly(wrong, opts.sample ?? 15);
  const slices = confusion ? undefined : generationSlices(val);
  const parentDiff = parentDiffOf(exp, nodeId, val);
  const sliced = slices ? sliceLines(slices) : [];

  let analysis: Analysis | undefined;
  let llmNote: string | undefined;
  if (opts.client && wrong.length > 0) {
    try {
      const r = await opts.client.structured<Analysis>({
        role: 'executor',
        purpose: 'bad_cases',
        nodeId,
        name: 'bad_case_analysis',
        schema: ANALYSIS_SCHEMA,
        strict: true,
        signal: opts.signal,
        collector: opts.collector,
        messages: [
          { role: 'system', content: 'You analyse the wrong predictions of a fine-tuned model to explain what goes wrong and how the training data or config could fix it. Be specific and brief.' },
          {
            role: 'user',
            content: [
              `Task: ${exp.spec.objective}`,
              `Validation: ${wrong.length} of ${val.length} wrong.`,
              confusion ? `Label task. Errors (expected → predicted): ${patterns.map((p) => `${p.pattern} ×${p.count}`).join(', ')}. Recall per class: ${confusion.perClass.map((k) => `${k.label} ${(100 * k.recall).toFixed(0)}% of ${k.support}`).join(', ')}` : `Error patterns: ${patterns.map((p) => `${p.pattern} ×${p.count}`).join(', ')}`,
              ...(sliced.length ? ['Error rate by slice:', ...sliced] : []),
              ...(parentDiff ? [`Against the parent: ${diffSummary(parentDiff)}`] : []),
              'Sample of wrong predictions (prompt → expected | predicted):',
              ...sample.map((r) => `- ${truncateEnd(r.prompt, 200)} → ${truncateEnd(r.expected, 100)} | ${truncateEnd(r.predicted, 100)}`),
            ].join('\n'),
          },
        ],
      });
      analysis = r.value;
    } catch (e) {
      llmNote = `analysis by the model unavailable: ${describeError(e)}`;
    }
  }

  const pct = (n: number) => `${((100 * n) / Math.max(1, val.length)).toFixed(1)}%`;
  const lines = [
    `# Bad cases of ${nodeId}`,
    '',
    `Validation: ${wrong.length} of ${val.length} predictions wrong (${pct(val.length - wrong.length)} correct). Test predictions are not analysed: they never steer the search.` + (badLines ? ` ${badLines} unreadable line(s) in ${PREDICTIONS_FILE} were skipped.` : ''),
    '',
    ...(confusion ? renderLabelConfusion(confusion) : []),
    ...renderGenerationErrors(slices, parentDiff),
    confusion ? '## Errors (expected → predicted)' : '## Error patterns',
    '',
    ...(patterns.length ? patterns.map((p) => `- ${p.pattern}: ${p.count} (${((100 * p.count) / wrong.length).toFixed(0)}% of errors)`) : ['- none: every validation prediction is correct']),
    '',
  ];
  if (sample.length) {
    lines.push(`## Sample of wrong predictions (${sample.length} of ${wrong.length})`, '', '| prompt | expected | predicted | pattern |', '|---|---|---|---|');
    for (const r of sample) lines.push(`| ${cell(r.prompt)} | ${cell(r.expected)} | ${cell(r.predicted)} | ${patternOf.get(r)} |`);
    lines.push('');
  }
  if (analysis) {
    lines.push('## Analysis', '', inline(analysis.summary, 1200), '');
    if (analysis.likely_causes.length) lines.push('Likely causes:', '', ...analysis.likely_causes.slice(0, 8).map((c) => `- ${inline(c, 300)}`), '');
    if (analysis.suggestions.length) lines.push('Suggestions:', '', ...analysis.suggestions.slice(0, 8).map((c) => `- ${inline(c, 300)}`), '');
  } else if (llmNote) {
    lines.push(`_${inline(llmNote, 400)}_`, '');
  }
  const markdown = lines.join('\n');
  const path = exp.nodePath(nodeId, BAD_CASES_FILE);
  writeFileSync(path, markdown);
  return { path, total: val.length, wrong: wrong.length, patterns, confusion, slices, parentDiff, llmNote, markdown };
}

/** The parent's validation predictions against this node's, when the parent has any. */
function parentDiffOf(exp: Experiment, nodeId: string, val: readonly Prediction[]): ParentDiff | undefined {
  const parentId = exp.tree.get(nodeId).parent;
  if (!parentId) return undefined;
  const parentVal = readPredictions(exp.nodePath(parentId, PREDICTIONS_FILE)).rows.filter((r) => r.split === 'validation');
  return diffAgainstParent(parentId, val, parentVal);
}
