// train.yaml is resolved once, with one table of defaults per trainer family; the schema tells
// the same defaults, and configs that differ only in what a default fills hash the same.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import trainSchema from '../../../schemas/train.schema.json';
import { configHash, normalizeTrain } from '../../../src/engine/experiment';
import type { TaskSpec } from '../../../src/engine/spec/types';
import { resolveTrain, TRAIN_DEFAULTS } from '../../../src/engine/frameworks';

test('a train.yaml with only learning_rate takes its framework family defaults', () => {
  assert.deepEqual(resolveTrain({ learning_rate: 0.003 }), { ...TRAIN_DEFAULTS.micro, framework: 'micro', learning_rate: 0.003 });
  for (const framework of ['hf', 'llamafactory', 'trl'] as const) {
    assert.deepEqual(resolveTrain({ framework, learning_rate: 0.0002 }), { ...TRAIN_DEFAULTS.llm, framework, learning_rate: 0.0002 });
  }
  assert.equal(TRAIN_DEFAULTS.micro.finetuning, 'full');
  assert.equal(TRAIN_DEFAULTS.llm.finetuning, 'lora');
});

test('given fields win, a partial lora block keeps the rest of its defaults, and resolving twice changes nothing', () => {
  const t = resolveTrain({ framework: 'trl', learning_rate: 0.001, max_steps: 7, warmup_ratio: 0, lora: { rank: 4 } });
  assert.equal(t.max_steps, 7);
  assert.equal(t.warmup_ratio, 0);
  assert.deepEqual(t.lora, { ...TRAIN_DEFAULTS.llm.lora, rank: 4 });
  assert.deepEqual(resolveTrain(t), t);
});

test('an LLM config that leaves finetuning out trains (and hashes) as lora, not as full', () => {
  const implicit = normalizeTrain({ framework: 'hf', learning_rate: 0.0001 });
  assert.deepEqual(implicit, normalizeTrain({ framework: 'hf', learning_rate: 0.0001, finetuning: 'lora', warmup_ratio: 0.03 }));
  assert.notDeepEqual(implicit, normalizeTrain({ framework: 'hf', learning_rate: 0.0001, finetuning: 'full' }));
});

test('the schema states the defaults of the table', () => {
  type Prop = { default?: unknown; description?: string };
  const props = trainSchema.properties as Record<string, Prop>;
  const micro = TRAIN_DEFAULTS.micro as Record<string, unknown>;
  const llm = TRAIN_DEFAULTS.llm as Record<string, unknown>;
  for (const [key, prop] of Object.entries(props)) {
    if (key === 'framework' || key === 'learning_rate' || key === 'lora') continue;
    if ('default' in prop) {
      assert.ok(key in llm || key in micro, `${key}: a default in the schema is a default of the table`);
      if (key in llm) assert.deepEqual(llm[key], prop.default, `${key}: schema default vs the LLM default`);
      if (key in micro) assert.deepEqual(micro[key], prop.default, `${key}: schema default vs the micro default`);
    } else {
      assert.ok(prop.description?.includes(`Default: ${String(micro[key])} for micro`), `${key}: the schema tells the micro default ${String(micro[key])}`);
      assert.ok(prop.description?.includes(`${String(llm[key])} for hf, llamafactory and trl`), `${key}: the schema tells the LLM default ${String(llm[key])}`);
    }
  }
  const lora = (props.lora as Prop).description ?? '';
  for (const d of [TRAIN_DEFAULTS.micro.lora, TRAIN_DEFAULTS.llm.lora]) assert.ok(lora.includes(`rank ${d.rank}, alpha ${d.alpha}, dropout ${d.dropout}`), lora);
});

test('eval_steps is resolved for micro and left out of a node\'s identity (it does not change the trained model)', () => {
  assert.equal((resolveTrain({ learning_rate: 0.003 }) as { eval_steps: unknown }).eval_steps, null);
  assert.equal((resolveTrain({ learning_rate: 0.003, eval_steps: 10 }) as { eval_steps: unknown }).eval_steps, 10);
  const spec = { base_model: 'micro-gpt', task: { kind: 'micro', generator: 'addition' }, evaluation: {} } as unknown as TaskSpec;
  const recipe = { sources: [] };
  assert.equal(configHash(spec, { recipe, train: { learning_rate: 0.003 } }), configHash(spec, { recipe, train: { learning_rate: 0.003, eval_steps: 10 } }));
  assert.notEqual(configHash(spec, { recipe, train: { learning_rate: 0.003 } }), configHash(spec, { recipe, train: { learning_rate: 0.001 } }));
});
