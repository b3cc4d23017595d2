// Real fine-tuning through the engine's own stage plans (prepare → train → evaluate), with the
// real libraries of the trainer venv (.venv-trainer, made by .ci/setup.sh) on the tiny Llama
// built here (trainer/trex_llm/tiny_model.py: local BPE tokenizer, ChatML, briefly pretrained;
// no hub). Each test asserts what the framework produced: adapter files, a loss that decreases
// in its own trainer log, a metric in metrics.json. Skips, saying so, only when the venv is absent.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Experiment } from '../../../src/engine';
import { runNode, SKIP } from './realHelpers';

/** Losses in the framework's own trainer_log.jsonl (LLaMA-Factory format; written by HF script, wrapper or LLaMA-Factory). */
function losses(ckpt: string): number[] {
  const rows = readFileSync(join(ckpt, 'trainer_log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { loss?: number });
  return rows.map((r) => r.loss).filter((l): l is number => typeof l === 'number');
}

function assertProduced(exp: Experiment, id: string, ckpt: string, kind: 'adapter' | 'full' = 'adapter'): void {
  if (kind === 'adapter') {
    assert.ok(existsSync(join(ckpt, 'adapter_config.json')), 'a LoRA adapter config was saved');
    assert.ok(existsSync(join(ckpt, 'adapter_model.safetensors')), 'LoRA adapter weights were saved');
  } else {
    assert.ok(existsSync(join(ckpt, 'config.json')), 'a full checkpoint config was saved');
    assert.ok(existsSync(join(ckpt, 'model.safetensors')), 'full model weights were saved');
    assert.ok(!existsSync(join(ckpt, 'adapter_config.json')), 'full fine-tuning saves no adapter');
  }
  const l = losses(ckpt);
  assert.ok(l.length >= 2, `at least two losses logged: ${JSON.stringify(l)}`);
  assert.ok(l[l.length - 1] < l[0], `the loss decreases: ${JSON.stringify(l)}`);
  const metrics = JSON.parse(readFileSync(exp.nodePath(id, 'metrics.json'), 'utf8')) as { metric: string; validation: Record<string, number> };
  assert.equal(metrics.metric, 'accuracy');
  assert.equal(typeof metrics.validation.accuracy, 'number');
  assert.equal(metrics.validation.n, 10);
  assert.equal(typeof exp.tree.get(id).result?.score, 'number');
}

test('hf: SFT with LoRA on the tiny Llama, through prepare → train → evaluate', { skip: SKIP }, async () => {
  const { exp, id, ckpt } = await runNode('hf');
  assertProduced(exp, id, ckpt);
  exp.close();
});

test('trl: `trl sft` from the rendered config, LoRA, on the tiny Llama', { skip: SKIP }, async () => {
  const { exp, id, ckpt } = await runNode('trl');
  assertProduced(exp, id, ckpt);
  exp.close();
});

test('llamafactory: `llamafactory-cli train` SFT LoRA with the rendered dataset_info.json, on the tiny Llama', { skip: SKIP }, async () => {
  const { exp, id, ckpt } = await runNode('llamafactory');
  assert.ok(existsSync(join(exp.dir, 'nodes', id, 'run', 'llamafactory', 'dataset_info.json')));
  assertProduced(exp, id, ckpt);
  exp.close();
});

test('hf: SFT with full fine-tuning saves a whole checkpoint, no adapter', { skip: SKIP }, async () => {
  const { exp, id, ckpt } = await runNode('hf', { finetuning: 'full', learning_rate: 0.001 });
  assertProduced(exp, id, ckpt, 'full');
  exp.close();
});

test('hf: DPO with LoRA on chosen/rejected pairs; beta reaches the loss', { skip: SKIP }, async () => {
  const a = await runNode('hf', { method: 'dpo', dpo_beta: 0.1 });
  assertProduced(a.exp, a.id, a.ckpt);
  // The reference is the starting model: the first DPO loss is -log sigmoid(0) = ln 2 for any beta.
  assert.ok(Math.abs(losses(a.ckpt)[0] - Math.log(2)) < 1e-3, `first DPO loss is ln 2: ${losses(a.ckpt)[0]}`);
  const b = await runNode('hf', { method: 'dpo', dpo_beta: 0.5 });
  assert.notDeepEqual(losses(b.ckpt).slice(1), losses(a.ckpt).slice(1), 'another beta gives other losses');
  a.exp.close();
  b.exp.close();
});

test('trl: `trl dpo` from the rendered config, LoRA, under accelerate launch', { skip: SKIP }, async () => {
  const { exp, id, ckpt, log } = await runNode('trl', { method: 'dpo' });
  assert.match(log, /trl_compat\.py dpo --config/, 'TRL ran through the compatibility launcher');
  assertProduced(exp, id, ckpt);
  exp.close();
});

/** TREX_PROGRESS lines of a stage log. */
function progressLines(log: string): { step?: number; total?: number; loss?: number }[] {
  return log.split('\n').filter((l) => l.startsWith('TREX_PROGRESS ')).map((l) => JSON.parse(l.slice('TREX_PROGRESS '.length)) as { step?: number; total?: number; loss?: number });
}

test('llamafactory: `llamafactory-cli train` stage dpo with ranking data; its trainer_log.jsonl becomes live progress', { skip: SKIP }, async () => {
  const { exp, id, ckpt } = await runNode('llamafactory', { method: 'dpo' });
  const info = JSON.parse(readFileSync(join(exp.dir, 'nodes', id, 'run', 'llamafactory', 'dataset_info.json'), 'utf8')) as Record<string, { ranking?: boolean }>;
  assert.equal(Object.values(info)[0].ranking, true);
  assertProduced(exp, id, ckpt);
  const rows = readFileSync(join(ckpt, 'trainer_log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { current_steps: number; total_steps: number; loss?: number });
  const progress = progressLines(readFileSync(exp.nodePath(id, 'logs', 'train.log'), 'utf8'));
  // One progress line per row, in order; the loss to 4 decimals; the final row (no loss) still ends the count.
  assert.ok(rows.filter((r) => typeof r.loss === 'number').length >= 2, JSON.stringify(rows));
  assert.deepEqual(progress.map((p) => [p.step, p.total]), rows.map((r) => [r.current_steps, r.total_steps]));
  rows.forEach((r, i) => {
    const shown = progress[i].loss;
    if (typeof r.loss !== 'number') assert.equal(shown, undefined);
    else assert.ok(shown !== undefined && Math.abs(shown - r.loss) <= 5.01e-5, `step ${r.current_steps}: progress loss ${shown} from ${r.loss}`);
  });
  exp.close();
});
