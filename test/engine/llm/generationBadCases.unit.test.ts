// Bad-case analysis of a generation task: error rates by reference length, prompt length and data
// source (counted here independently from the same rows), and the examples a node fixed and broke
// against its parent on the same validation examples, bounded in size; all in bad_cases.md.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { Experiment, initExperiment, readExample } from '../../../src/engine';
import { analyzeBadCases } from '../../../src/engine/llm';
import { diffAgainstParent, generationSlices, lengthSlices, MAX_CHANGED_EXAMPLES, sourceSlices, type ScoredExample } from '../../../src/engine/llm/executorAgent/generationErrors';
import { tempDir } from '../../helpers/cli';

/** n examples whose answer has `len` digits; `wrongEvery` k: every k-th is wrong (0: none). */
function rows(len: number, n: number, wrongEvery: number, source?: string, from = 0): ScoredExample[] {
  return Array.from({ length: n }, (_, i) => {
    const expected = String(10 ** (len - 1) + from + i);
    const correct = !(wrongEvery && i % wrongEvery === 0);
    return { id: `${source ?? 'v'}:${len}:${i}`, prompt: `What is ${expected}?${' '.repeat(len)}`, expected, predicted: correct ? expected : expected.slice(1), correct, ...(source ? { source } : {}) };
  });
}

const wrongOf = (xs: ScoredExample[]) => xs.filter((r) => !r.correct).length;

test('length slices cut at the set’s own terciles and count errors per bucket', () => {
  const short = rows(2, 10, 0);
  const mid = rows(4, 10, 5);
  const long = rows(6, 10, 2);
  const all = [...long, ...short, ...mid];
  const s = lengthSlices(all, (r) => r.expected.length);
  assert.deepEqual(s.map((x) => x.name), ['≤2 chars', '3–4 chars', '>4 chars']);
  assert.deepEqual(s.map((x) => [x.count, x.wrong]), [[10, wrongOf(short)], [10, wrongOf(mid)], [10, wrongOf(long)]]);
  assert.equal(s[2].errorRate, wrongOf(long) / 10);
  assert.deepEqual(lengthSlices(short, (r) => r.expected.length), [], 'one length: no slices');
  assert.deepEqual(lengthSlices([], (r) => r.expected.length), []);
});

test('source slices: largest first, only with two or more sources, examples without one pooled', () => {
  const a = rows(3, 12, 3, 'gsm8k');
  const b = rows(3, 5, 1, 'synthetic');
  const none = rows(3, 2, 0);
  const s = sourceSlices([...b, ...a, ...none]);
  assert.deepEqual(s.map((x) => [x.name, x.count, x.wrong]), [['gsm8k', 12, wrongOf(a)], ['synthetic', 5, 5], ['(no source)', 2, 0]]);
  assert.deepEqual(sourceSlices(a), [], 'one source says nothing a total does not');
  const many = Array.from({ length: 10 }, (_, i) => rows(3, 10 - i, 0, `s${i}`)).flat();
  const m = sourceSlices(many);
  assert.equal(m.length, 9);
  assert.deepEqual(m[8], { name: '(2 other sources)', count: 3, wrong: 0, errorRate: 0 });
  assert.deepEqual(generationSlices(a).bySource, []);
});

test('against the parent: fixed and broken counted on the examples both predicted, a few of each shown', () => {
  const parent = [...rows(3, 10, 2), ...rows(5, 4, 0)];
  // The child gets the first 6 of the 3-digit ones right (fixes 3), breaks all four 5-digit ones, and has an example the parent lacks.
  const child = [...rows(3, 10, 0).map((r, i) => (i < 6 ? r : { ...r, correct: false, predicted: 'x' })), ...rows(5, 4, 1), ...rows(7, 1, 0)];
  const d = diffAgainstParent('n0001', child, parent)!;
  const key = (r: ScoredExample) => r.id;
  const byId = new Map(parent.map((r) => [key(r), r]));
  const both = child.filter((r) => byId.has(key(r)));
  assert.equal(d.matched, both.length);
  assert.equal(d.fixed, both.filter((r) => r.correct && !byId.get(key(r))!.correct).length);
  assert.equal(d.broken, both.filter((r) => !r.correct && byId.get(key(r))!.correct).length);
  assert.equal(d.stillWrong, both.filter((r) => !r.correct && !byId.get(key(r))!.correct).length);
  assert.deepEqual([d.fixed, d.broken], [3, 6]);
  assert.equal(d.brokenExamples.length, MAX_CHANGED_EXAMPLES, 'bounded');
  assert.deepEqual(d.fixedExamples[0], { prompt: child[0].prompt, expected: child[0].expected, predicted: child[0].expected, parentPredicted: parent[0].predicted });
  assert.equal(diffAgainstParent('n0001', rows(2, 3, 0), parent), undefined, 'no shared example: no diff');
  // Without ids (the micro trainer), the prompt and its reference identify an example.
  const strip = (xs: ScoredExample[]) => xs.map(({ id: _id, ...r }) => r);
  assert.deepEqual(diffAgainstParent('n0001', strip(child), strip(parent)), d);
  // A template change rewrites every prompt; the evaluator's ids still pair the examples.
  const templated = diffAgainstParent('n0001', child.map((r) => ({ ...r, prompt: `Q: ${r.prompt}` })), parent)!;
  assert.deepEqual([templated.matched, templated.fixed, templated.broken], [d.matched, d.fixed, d.broken]);
});

test('bad_cases.md of a generation task shows the slices and the diff against the parent', async () => {
  const dir = tempDir('trex-unit-genbad-');
  initExperiment(dir, readExample('addition').text);
  const exp = Experiment.open(dir);
  const config = exp.spec.baseline as never;
  const root = exp.createNode({ parent: null, origin: 'root', title: 'baseline', plan: '# b\n', config, changes: [] });
  const child = exp.createNode({ parent: root, origin: 'fork', title: 'child', plan: '# c\n', config, changes: [] });
  const write = (id: string, xs: ScoredExample[]) => writeFileSync(exp.nodePath(id, 'predictions.jsonl'), xs.map((r) => JSON.stringify({ split: 'validation', ...r })).join('\n') + '\n');
  const parentRows = [...rows(2, 6, 0, 'a'), ...rows(4, 6, 2, 'b'), ...rows(6, 6, 1, 'a', 100)];
  const childRows = [...rows(2, 6, 3, 'a'), ...rows(4, 6, 0, 'b'), ...rows(6, 6, 1, 'a', 100)];
  write(root, parentRows);
  write(child, childRows);
  const report = (await analyzeBadCases(exp, child))!;
  assert.equal(report.confusion, undefined);
  assert.deepEqual(report.slices?.bySource.map((s) => [s.name, s.count, s.wrong]), [['a', 12, wrongOf(childRows.filter((r) => r.source === 'a'))], ['b', 6, 0]]);
  assert.deepEqual([report.parentDiff?.fixed, report.parentDiff?.broken, report.parentDiff?.stillWrong], [3, 2, 6]);
  assert.match(report.markdown, /## Error rate by slice \(validation\)\n\n- reference length: ≤2 chars 2\/6 wrong \(33%\); 3–4 chars 0\/6 wrong \(0%\); >4 chars 6\/6 wrong \(100%\)\n- prompt length: /);
  assert.match(report.markdown, /- source: a 8\/12 wrong \(67%\); b 0\/6 wrong \(0%\)/);
  assert.match(report.markdown, new RegExp(`## Against the parent ${root} \\(same validation examples\\)\n\nOf 18 validation examples both predicted: 3 fixed \\(wrong in ${root}, right here\\), 2 broken \\(right in ${root}, wrong here\\), 6 wrong in both\\.`));
  assert.match(report.markdown, /Fixed \(3 of 3\):\n- "What is 1000\?" → "1000"; n0000 said "000"/);
  assert.match(report.markdown, /Broken \(2 of 2\):\n- "What is 10\?" → "10"; now "0"/);
  // The root has no parent: slices, no diff.
  const rootReport = (await analyzeBadCases(exp, root))!;
  assert.equal(rootReport.parentDiff, undefined);
  assert.doesNotMatch(rootReport.markdown, /Against the parent/);
  exp.close();
});
