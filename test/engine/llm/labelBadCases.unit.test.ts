// Bad-case analysis of a label task: the validation predictions become a confusion matrix and
// per-class errors (counted here independently from the same rows); test predictions are never
// analysed; a generation task keeps the shape-of-mistake groups.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { Experiment, initExperiment, readExample } from '../../../src/engine';
import { analyzeBadCases } from '../../../src/engine/llm';
import { labelConfusion } from '../../../src/engine/llm/executorAgent/labelErrors';
import { tempDir } from '../../helpers/cli';

function experiment(example: string): { exp: Experiment; id: string } {
  const dir = tempDir('trex-unit-badcases-');
  initExperiment(dir, readExample(example).text);
  const exp = Experiment.open(dir);
  const id = exp.createNode({ parent: null, origin: 'root', title: 'baseline', plan: '# b\n', config: exp.spec.baseline as never, changes: [] });
  return { exp, id };
}

interface Row {
  split: string;
  prompt: string;
  expected: string;
  predicted: string;
  correct: boolean;
}

/** Expected/predicted pairs with counts; a deterministic spread of prompts. */
function rows(split: string, pairs: [string, string, number][]): Row[] {
  const out: Row[] = [];
  for (const [expected, predicted, n] of pairs) for (let i = 0; i < n; i++) out.push({ split, prompt: `review ${out.length}`, expected, predicted, correct: expected === predicted });
  return out;
}

test('a label task: confusion matrix and per-class errors from the validation predictions only', async () => {
  const { exp, id } = experiment('sentiment');
  const val = rows('validation', [['positive', 'positive', 40], ['positive', 'negative', 10], ['negative', 'negative', 30], ['negative', 'positive', 18], ['negative', 'neutral-ish', 2]]);
  // Test rows that would change every count if they were read.
  const testRows = rows('test', [['positive', 'negative', 50], ['negative', 'positive', 50]]);
  writeFileSync(exp.nodePath(id, 'predictions.jsonl'), [...val, ...testRows].map((r) => JSON.stringify(r)).join('\n') + '\n');
  const report = (await analyzeBadCases(exp, id))!;

  const count = (e: string, p: (x: string) => boolean) => val.filter((r) => r.expected === e && p(r.predicted)).length;
  const c = report.confusion!;
  assert.ok(c, 'recognised as a label task');
  assert.deepEqual(c.labels, ['negative', 'positive']);
  assert.deepEqual(c.columns, ['negative', 'positive', '(other)']);
  assert.deepEqual(c.matrix, [
    [count('negative', (p) => p === 'negative'), count('negative', (p) => p === 'positive'), count('negative', (p) => p !== 'negative' && p !== 'positive')],
    [count('positive', (p) => p === 'negative'), count('positive', (p) => p === 'positive'), 0],
  ]);
  const neg = c.perClass.find((k) => k.label === 'negative')!;
  assert.equal(neg.support, val.filter((r) => r.expected === 'negative').length);
  assert.equal(neg.wrong, val.filter((r) => r.expected === 'negative' && !r.correct).length);
  assert.equal(neg.recall, 30 / 50);
  assert.equal(neg.precision, 30 / 40, 'of the 40 "negative" predictions, 30 were right');
  assert.deepEqual(neg.topConfusion, { predicted: 'positive', count: 18 });
  assert.deepEqual(report.patterns, [{ pattern: 'negative → positive', count: 18 }, { pattern: 'positive → negative', count: 10 }, { pattern: 'negative → (other)', count: 2 }]);
  assert.equal(report.wrong, 30);
  assert.equal(report.total, 100);
  assert.match(report.markdown, /## Confusion matrix \(rows: expected, columns: predicted\)\n\n\| expected \\ predicted \| negative \| positive \| \(other\) \|\n\|---\|---:\|---:\|---:\|\n\| negative \| 30 \| 18 \| 2 \|\n\| positive \| 10 \| 40 \| 0 \|/);
  assert.match(report.markdown, /\| negative \| 50 \| 20 \| 60\.0% \| 75\.0% \| positive \(18\) \|/);
  assert.match(report.markdown, /\| positive \| 50 \| 10 \| 80\.0% \| 69\.0% \| negative \(10\) \|/);
  assert.doesNotMatch(report.markdown, /same length|characters wrong/, 'no string-shape groups for labels');
  exp.close();
});

test('a generation task keeps the shape-of-mistake groups; too few examples per label is not a label task', async () => {
  const { exp, id } = experiment('addition');
  const val = rows('validation', [['1234', '1234', 5], ['1234', '1235', 3], ['567', '56', 2], ['890', '', 1]]);
  writeFileSync(exp.nodePath(id, 'predictions.jsonl'), val.map((r) => JSON.stringify(r)).join('\n') + '\n');
  const report = (await analyzeBadCases(exp, id))!;
  assert.equal(report.confusion, undefined);
  assert.deepEqual(report.patterns, [{ pattern: 'one character wrong', count: 3 }, { pattern: 'cut short (a prefix of the answer)', count: 2 }, { pattern: 'empty prediction', count: 1 }]);
  assert.equal(labelConfusion(rows('validation', [['a', 'a', 4], ['b', 'a', 4]])), undefined, '2 labels need at least 10 examples');
  assert.ok(labelConfusion(rows('validation', [['a', 'a', 5], ['b', 'a', 5]])));
  exp.close();
});
