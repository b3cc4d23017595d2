// The config schema shown to the Researcher: every field for LLM tasks, only what the micro
// trainer reads for micro tasks, without the per-object "no other fields" lines.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compactSchemaLines, describeConfigSchema, linePath, MICRO_FIELDS } from '../../../src/engine/llm/compactSchema';

test('compactSchemaLines keeps the wanted fields and the objects holding them', () => {
  const lines = ['train.lora: object — adapter', 'train.lora.rank: integer (≥1)', 'train.lora.target: string', 'train.lora: no other fields allowed', 'train.precision: one of "fp32"|"bf16"', 'train.seed: integer'];
  assert.equal(linePath(lines[1]), 'train.lora.rank');
  assert.deepEqual(compactSchemaLines(lines, ['train.lora.rank', 'train.seed']), ['train.lora: object — adapter', 'train.lora.rank: integer (≥1)', 'train.seed: integer']);
  assert.deepEqual(compactSchemaLines(lines), lines.filter((l) => !l.endsWith('no other fields allowed')));
});

test('a micro task sees only what the micro trainer reads; an LLM task sees every field', () => {
  const micro = describeConfigSchema('micro');
  const llm = describeConfigSchema('llm');
  const paths = (s: string) => s.split('\n').filter((l) => l.includes(':')).map(linePath);
  for (const f of MICRO_FIELDS) assert.ok(paths(micro).includes(f), `micro shows ${f}`);
  assert.match(micro, /train\.learning_rate: number \(>0, ≤1\) \(required\)/);
  for (const f of ['train.precision', 'train.dpo_beta', 'train.gradient_accumulation_steps', 'recipe.sources.N.dataset', 'recipe.mapping']) {
    assert.ok(!paths(micro).includes(f), `micro hides ${f}`);
    assert.ok(paths(llm).includes(f), `an LLM task shows ${f}`);
  }
  assert.ok(micro.length < llm.length * 0.8, `${micro.length} vs ${llm.length}`);
  assert.ok(micro.endsWith('No other fields are allowed.'));
  assert.doesNotMatch(llm, /no other fields allowed/);
});
