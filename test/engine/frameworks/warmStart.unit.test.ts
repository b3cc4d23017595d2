// The warm-start rule (frameworks/warmStart.ts): which config differences continue a parent and
// which checkpoints each framework can continue.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { warmStartFile, warmStartTail } from '../../../src/engine/frameworks';

const change = (path: string, from: number, to: number) => [{ path, from, to }];

test('only a longer schedule warm-starts: more epochs (no max_steps) or more max_steps', () => {
  assert.deepEqual(warmStartTail(change('train.epochs', 2, 5), { epochs: 5, max_steps: null }), { key: 'epochs', extra: 3 });
  assert.deepEqual(warmStartTail(change('train.max_steps', 10, 16), { max_steps: 16 }), { key: 'max_steps', extra: 6 });
  // max_steps overrides epochs: more epochs would train nothing more.
  assert.equal(warmStartTail(change('train.epochs', 2, 5), { epochs: 5, max_steps: 12 }), undefined);
  assert.equal(warmStartTail(change('train.epochs', 5, 2), { epochs: 2 }), undefined, 'shorter');
  assert.equal(warmStartTail(change('train.learning_rate', 0.1, 0.2), {}), undefined, 'another setting');
  assert.equal(warmStartTail([...change('train.epochs', 1, 2), ...change('train.lora.rank', 8, 16)], { epochs: 2 }), undefined, 'longer and another LoRA shape');
  assert.equal(warmStartTail([], {}), undefined, 'identical (dedupe reuses it instead)');
});

test('micro continues model.pt, LoRA/QLoRA continue the adapter, full fine-tuning never', () => {
  assert.equal(warmStartFile({ framework: 'micro', finetuning: 'full' }), 'model.pt');
  assert.equal(warmStartFile({}), 'model.pt');
  for (const framework of ['hf', 'trl', 'llamafactory']) {
    assert.equal(warmStartFile({ framework, finetuning: 'lora' }), 'adapter_model.safetensors');
    assert.equal(warmStartFile({ framework, finetuning: 'qlora' }), 'adapter_model.safetensors');
    assert.equal(warmStartFile({ framework, finetuning: 'full' }), undefined);
  }
});
