// The GPU memory estimate and what rendering does with it: keep, adapt (batch -> accumulation),
// or refuse with a reason that names what to change.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { estimateGpuMemory, fitToGpu, modelInfo, paramsFromName, planNodeStages, readLlmTrain, RenderError } from '../../../src/engine/frameworks';
import { context, llmSpec, train } from './fixtures';

const gpu80 = { memoryGiB: 80, count: 1, assumed: false };

test('model sizes come from the id or from task.model_params_b', () => {
  assert.equal(paramsFromName('Qwen/Qwen3-1.7B'), 1.7);
  assert.equal(paramsFromName('meta-llama/Llama-3.1-8B-Instruct'), 8);
  assert.equal(paramsFromName('mistralai/Mixtral-8x7B-v0.1'), 56);
  assert.equal(paramsFromName('HuggingFaceTB/SmolLM2-360M'), 0.36);
  assert.equal(paramsFromName('gpt2'), undefined);
  const qwen = modelInfo('Qwen/Qwen3-1.7B', { kind: 'llm' });
  assert.equal(qwen.llamafactoryTemplate, 'qwen3');
  assert.ok(qwen.hidden >= 1792 && qwen.hidden <= 2560 && qwen.layers >= 20 && qwen.layers <= 36, `${qwen.hidden}x${qwen.layers}`);
  assert.equal(modelInfo('./tiny', { kind: 'llm', model_params_b: 0.01 }).paramsB, 0.01);
  assert.throws(() => modelInfo('./tiny', { kind: 'llm' }), /set task\.model_params_b/);
});

test('the estimate grows with what should grow it', () => {
  const info = modelInfo('Qwen/Qwen3-1.7B', { kind: 'llm' });
  const est = (o: object) => estimateGpuMemory({ ...readInput(), ...o }, 80).gib;
  function readInput() {
    const t = readLlmTrain(train({}));
    return { paramsB: info.paramsB, hidden: info.hidden, layers: info.layers, vocab: info.vocab, finetuning: t.finetuning, method: t.method, precision: t.precision, seqLen: 1024, batchSize: 4, gradientCheckpointing: true, loraRank: 16, referenceModel: true };
  }
  assert.ok(est({ finetuning: 'full' }) > est({}) + 15, 'full fine-tuning pays for gradients and AdamW states of every weight');
  assert.ok(est({ finetuning: 'qlora' }) < est({}), '4-bit weights are smaller');
  assert.ok(est({ batchSize: 8 }) > est({}));
  assert.ok(est({ seqLen: 4096 }) > est({}));
  assert.ok(est({ gradientCheckpointing: false }) > est({}));
  assert.ok(est({ method: 'dpo', finetuning: 'full' }) > est({ finetuning: 'full' }) + 3, 'DPO keeps a reference model and two sequences');
  const lora17 = est({});
  assert.ok(lora17 > 4 && lora17 < 30, `LoRA on a 1.7B model at batch 4 x 1024 is a few GiB to a few tens, got ${lora17}`);
});

test('a config that fits is left alone', () => {
  const plan = fitToGpu(readLlmTrain(train({})), modelInfo('Qwen/Qwen3-1.7B', { kind: 'llm' }), gpu80);
  assert.equal(plan.estimate.fits, true);
  assert.deepEqual(plan.adaptations, []);
  assert.equal(plan.train.batch_size, 8);
});

test('a config that fits with a smaller batch is adapted, keeping the effective batch', () => {
  const requested = readLlmTrain(train({ framework: 'hf', batch_size: 32, gradient_accumulation_steps: 2, max_seq_len: 4096, gradient_checkpointing: false }));
  const plan = fitToGpu(requested, modelInfo('Qwen/Qwen3-8B', { kind: 'llm' }), gpu80);
  assert.equal(plan.refusal, undefined);
  assert.equal(plan.estimate.fits, true);
  assert.equal(plan.train.gradient_checkpointing, true);
  assert.ok(plan.train.batch_size < 32);
  assert.equal(plan.train.batch_size * plan.train.gradient_accumulation_steps, 64);
  assert.match(plan.adaptations.join('\n'), /batch_size 32 -> \d+ with gradient_accumulation_steps 2 -> \d+ \(effective batch 64 -> 64\)/);
});

test('a config that cannot fit is refused, saying what to change', () => {
  const plan = fitToGpu(readLlmTrain(train({ finetuning: 'full', batch_size: 4 })), modelInfo('Qwen/Qwen3-32B', { kind: 'llm' }), gpu80);
  assert.match(plan.refusal ?? '', /does not fit in GPU memory: full sft of a 32B model .* on a 80 GiB GPU\. To fit: use finetuning: lora or qlora/);
  const assumed = fitToGpu(readLlmTrain(train({ finetuning: 'full' })), modelInfo('Qwen/Qwen3-32B', { kind: 'llm' }), { memoryGiB: 80, count: 1, assumed: true });
  assert.match(assumed.refusal ?? '', /assumed; set compute\.gpu_memory_gib/);
  assert.throws(
    () => planNodeStages(context(llmSpec({ base_model: 'Qwen/Qwen3-32B' }), train({ finetuning: 'full' }))),
    (e: unknown) => e instanceof RenderError && /^train\.yaml does not fit in GPU memory/.test(e.message),
  );
  // The same model fits on bigger GPUs, or with QLoRA.
  assert.doesNotThrow(() => planNodeStages(context(llmSpec({ base_model: 'Qwen/Qwen3-32B' }), train({ finetuning: 'qlora', batch_size: 2 }))));
});
