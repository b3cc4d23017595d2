import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseAndValidate, SpecError, type FileProblem } from '../../../src/engine';
import { ROOT } from '../../helpers/cli';

function problems(text: string, schema: 'trex' | 'recipe' | 'train', file = 'x.yaml'): FileProblem[] {
  try {
    parseAndValidate(text, schema, file);
  } catch (e) {
    assert.ok(e instanceof SpecError, `expected SpecError, got ${String(e)}`);
    return e.problems;
  }
  assert.fail('expected the file to be refused');
}

test('a wrong type is reported with file, line and field', () => {
  const text = ['learning_rate: 0.001', 'epochs: 2', 'batch_size: many', 'seed: 0', ''].join('\n');
  const [p, ...rest] = problems(text, 'train', 'nodes/n0001/train.yaml');
  assert.equal(rest.length, 0);
  assert.equal(p.file, 'nodes/n0001/train.yaml');
  assert.equal(p.line, 3);
  assert.equal(p.field, 'batch_size');
  assert.match(p.message, /integer/);
});

test('an unknown field points at its key, nested in lists', () => {
  const text = ['sources:', '  - name: main', '    kind: generator', '    num_exmples: 10', ''].join('\n');
  const [p] = problems(text, 'recipe');
  assert.equal(p.line, 4);
  assert.equal(p.column, 5);
  assert.equal(p.field, 'sources.0.num_exmples');
  assert.match(p.message, /unknown field 'num_exmples'/);
});

test('an enum violation lists the allowed values', () => {
  const text = ['learning_rate: 0.01', 'lr_scheduler: cosin', ''].join('\n');
  const [p] = problems(text, 'train');
  assert.equal(p.line, 2);
  assert.equal(p.field, 'lr_scheduler');
  assert.match(p.message, /"cosine"/);
});

test('a missing required field names the field and the enclosing line', () => {
  const text = ['sources:', '  - kind: generator', ''].join('\n');
  const [p] = problems(text, 'recipe');
  assert.equal(p.field, 'sources.0.name');
  assert.equal(p.line, 2);
  assert.match(p.message, /missing required field 'name'/);
});

test("trex.yaml's llm block is checked by the shipped schema, with file, line and field", () => {
  const spec = readFileSync(join(ROOT, 'examples', 'addition', 'trex.yaml'), 'utf8');
  const text = spec + ['llm:', '  models: {researcher: gpt-4.1}', '  temperature: 5', '  research: {enabeld: true}', ''].join('\n');
  const found = problems(text, 'trex', 'trex.yaml');
  const base = spec.split('\n').length - 1;
  const temp = found.find((p) => p.field === 'llm.temperature');
  assert.ok(temp, JSON.stringify(found));
  assert.equal(temp.line, base + 3);
  assert.match(temp.message, /<= 2/);
  const typo = found.find((p) => p.field === 'llm.research.enabeld');
  assert.ok(typo, JSON.stringify(found));
  assert.match(typo.message, /unknown field 'enabeld'/);
});

test("search.early_stopping is checked with file, line and field", () => {
  const spec = readFileSync(join(ROOT, 'examples', 'addition', 'trex.yaml'), 'utf8');
  const line = spec.split('\n').findIndex((l) => l.startsWith('search:')) + 1;
  const text = spec.replace(/^search: \{/m, 'search: {early_stopping: {enabled: true, reduction_factor: 1, min_step: 10}, ');
  const found = problems(text, 'trex', 'trex.yaml');
  const factor = found.find((p) => p.field === 'search.early_stopping.reduction_factor');
  assert.ok(factor, JSON.stringify(found));
  assert.equal(factor.line, line);
  assert.match(factor.message, />= 2/);
  const typo = found.find((p) => p.field === 'search.early_stopping.min_step');
  assert.ok(typo, JSON.stringify(found));
  assert.match(typo.message, /unknown field 'min_step'/);
  assert.deepEqual(problems(['learning_rate: 0.01', 'eval_steps: 0', ''].join('\n'), 'train').map((p) => [p.field, p.line]), [['eval_steps', 2]]);
});

test('YAML syntax errors are reported with their line, not a stack trace', () => {
  const text = ['learning_rate: 0.01', 'epochs: [1, 2', 'seed: 0', ''].join('\n');
  const ps = problems(text, 'train');
  assert.ok(ps.length >= 1);
  assert.match(ps[0].message, /^YAML syntax/);
  assert.ok(ps[0].line >= 2, `line ${ps[0].line}`);
});

test('a search-space knob must have values or a range, and a valid path', () => {
  const base = [
    'name: t',
    'objective: o',
    'base_model: micro-gpt',
    'task: {kind: micro, generator: addition}',
    'metric: {name: exact_match, goal: maximize}',
    'evaluation: {validation_size: 10}',
    'baseline:',
    '  recipe: {sources: [{name: main, kind: generator}]}',
    '  train: {learning_rate: 0.001}',
    'search_space:',
  ];
  const good = [...base, '  - {path: train.learning_rate, values: [0.001, 0.01]}', ''].join('\n');
  assert.equal((parseAndValidate(good, 'trex', 'trex.yaml') as { name: string }).name, 't');
  const badPath = problems([...base, '  - {path: model.layers, values: [1, 2]}', ''].join('\n'), 'trex', 'trex.yaml');
  assert.equal(badPath[0].line, 11);
  assert.equal(badPath[0].field, 'search_space.0.path');
  const noValues = problems([...base, '  - {path: train.epochs}', ''].join('\n'), 'trex', 'trex.yaml');
  assert.equal(noValues[0].line, 11);
  assert.equal(noValues[0].field, 'search_space.0');
  const badBaseline = problems([...base.slice(0, 8), '  train: {learning_rate: -1}', 'search_space: []', ''].join('\n'), 'trex', 'trex.yaml');
  assert.equal(badBaseline[0].field, 'baseline.train.learning_rate');
  assert.equal(badBaseline[0].line, 9);
});

test('every shipped example validates against the schemas', async () => {
  const { readdirSync, readFileSync, existsSync } = await import('node:fs');
  const { join } = await import('node:path');
  const dir = join(ROOT, 'examples');
  const names = readdirSync(dir).filter((n) => existsSync(join(dir, n, 'trex.yaml')));
  assert.ok(names.length >= 4, `at least four example tasks, found ${names.join(', ')}`);
  for (const n of names) {
    const spec = parseAndValidate<{ search_space: unknown[] }>(readFileSync(join(dir, n, 'trex.yaml'), 'utf8'), 'trex', `examples/${n}/trex.yaml`);
    assert.ok(spec.search_space.length >= 3, `${n} declares a search space`);
  }
});
