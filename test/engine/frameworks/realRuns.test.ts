// Real fine-tuning through the engine's own stage plans (prepare → train → evaluate), with the
// real libraries of the trainer venv (.venv-trainer, made by .ci/setup.sh) on the tiny Llama
// built here (trainer/trex_llm/tiny_model.py: local BPE tokenizer, ChatML, briefly pretrained;
// no hub). Each test asserts what the framework produced: adapter files, a loss that decreases
// in its own trainer log, a metric in metrics.json. A child that only trains longer continues its
// parent's adapter (warm start); its first logged loss shows the load. The runs of trl sft,
// llamafactory sft and hf full fine-tuning also have tracking.tensorboard.framework_logs on (the
// frameworks' own TensorBoard event files); hf DPO has it off. The trl and llamafactory SFT runs
// evaluate during training too (train.eval_steps): their eval loss reaches the engine as progress
// lines, which the rung monitor ranks nodes by. Skips, saying so, only when the venv is absent.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Experiment } from '../../../src/engine';
import { parseProgressLine, type ProgressFields } from '../../../src/engine/executor/progress';
import { assertFrameworkLogs, eventFiles, FRAMEWORK_LOGS_ON } from './frameworkLogs';
import { losses, runChild, runNode, SKIP, TRAIN, type RealRun } from './realHelpers';

/**
 * A child that differs only by a larger max_steps warm-starts from the parent's adapter. The parent
 * is the control: same seed, data order and constant learning rate, so a child that started from a
 * fresh adapter would log exactly the parent's first loss. Lower proves the adapter was loaded.
 */
async function assertWarmChild(parent: RealRun, flag: RegExp, margin = 0.05): Promise<RealRun> {
  const child = await runChild(parent, { max_steps: TRAIN.max_steps + 6 });
  assert.equal(parent.exp.tree.get(child.id).result?.warmStartFrom, parent.id, 'the child says it warm-started');
  assert.match(readFileSync(parent.exp.nodePath(child.id, 'run', 'train', 'cmd'), 'utf8'), flag, 'the train command continues the parent adapter');
  assert.match(child.log, new RegExp(`warm start: continues ${parent.id}'s trained checkpoint`), 'the train log says so');
  assert.ok(existsSync(join(child.ckpt, 'adapter_model.safetensors')), 'the child saved its own adapter');
  const [p, c] = [losses(parent.ckpt), losses(child.ckpt)];
  assert.ok(c.length >= 1 && c[0] < p[0] - margin, `the child's first loss ${c[0]} is below the parent's first ${p[0]} (parent: ${JSON.stringify(p)})`);
  return child;
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

const EVAL_STEPS = 4;

/**
 * The run's train log has one evaluation during training per EVAL_STEPS, each an eval loss on the
 * validation examples, as the engine's progress parser reads it (what the rung monitor observes).
 */
function assertEvaluations(run: RealRun): void {
  const log = readFileSync(run.exp.nodePath(run.id, 'logs', 'train.log'), 'utf8');
  const evals = log.split('\n').map(parseProgressLine).filter((p): p is ProgressFields => p?.evalMetric !== undefined);
  const steps = Array.from({ length: TRAIN.max_steps / EVAL_STEPS }, (_, k) => (k + 1) * EVAL_STEPS);
  assert.deepEqual(evals.map((e) => [e.step, e.total, e.evalMetric]), steps.map((s) => [s, TRAIN.max_steps, 'loss']), log.slice(-3000));
  assert.ok(evals.every((e) => e.evalValue !== undefined && Number.isFinite(e.evalValue) && e.evalValue > 0), JSON.stringify(evals));
  const logged = readFileSync(join(run.ckpt, 'trainer_log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { current_steps: number; eval_loss?: number });
  assert.deepEqual(logged.filter((r) => typeof r.eval_loss === 'number').map((r) => r.current_steps), steps, 'the eval losses are in trainer_log.jsonl too');
}

test('hf: SFT with LoRA on the tiny Llama, through prepare → train → evaluate; a longer child continues its adapter', { skip: SKIP }, async () => {
  const parent = await runNode('hf');
  assertProduced(parent.exp, parent.id, parent.ckpt);
  await assertWarmChild(parent, /--init-adapter nodes\/n0000\/ckpt/);
  parent.exp.close();
});

test('trl: `trl sft` from the rendered config, LoRA, on the tiny Llama, logging to TensorBoard and evaluating every eval_steps; a longer child continues its adapter', { skip: SKIP }, async () => {
  const parent = await runNode('trl', { eval_steps: EVAL_STEPS }, { spec: FRAMEWORK_LOGS_ON });
  assertProduced(parent.exp, parent.id, parent.ckpt);
  assertEvaluations(parent);
  await assertFrameworkLogs(parent);
  const child = await assertWarmChild(parent, /--trex_init_adapter nodes\/n0000\/ckpt/);
  assert.match(child.log, /note: warm start: continuing the adapter in nodes\/n0000\/ckpt/, 'TRL trained the loaded adapter');
  parent.exp.close();
});

// LLaMA-Factory's warm start runs over ssh in test/engine/backends/ssh/llmSearch.test.ts (its first loss below the parent's too).
test('llamafactory: `llamafactory-cli train` SFT LoRA with the rendered dataset_info.json, on the tiny Llama, logging to TensorBoard and evaluating every eval_steps', { skip: SKIP }, async () => {
  const run = await runNode('llamafactory', { eval_steps: EVAL_STEPS }, { spec: FRAMEWORK_LOGS_ON });
  const { exp, id, ckpt } = run;
  assert.ok(existsSync(join(exp.dir, 'nodes', id, 'run', 'llamafactory', 'dataset_info.json')));
  assertProduced(exp, id, ckpt);
  assertEvaluations(run);
  await assertFrameworkLogs(run);
  exp.close();
});

test('hf: SFT with full fine-tuning saves a whole checkpoint, no adapter; it logs to TensorBoard', { skip: SKIP }, async () => {
  const run = await runNode('hf', { finetuning: 'full', learning_rate: 0.001 }, { spec: FRAMEWORK_LOGS_ON });
  const { exp, id, ckpt } = run;
  assertProduced(exp, id, ckpt, 'full');
  await assertFrameworkLogs(run);
  exp.close();
});

test('hf: DPO with LoRA on chosen/rejected pairs; beta reaches the loss', { skip: SKIP }, async () => {
  const a = await runNode('hf', { method: 'dpo', dpo_beta: 0.1 });
  assertProduced(a.exp, a.id, a.ckpt);
  assert.deepEqual(eventFiles(a.exp.nodeDir(a.id)), [], 'without framework_logs the framework reports to nothing');
  // The reference is the starting model: the first DPO loss is -log sigmoid(0) = ln 2 for any beta.
  assert.ok(Math.abs(losses(a.ckpt)[0] - Math.log(2)) < 1e-3, `first DPO loss is ln 2: ${losses(a.ckpt)[0]}`);
  // A warm-started child's policy starts at the parent's adapter while its reference stays the base
  // model, so its first loss is below ln 2 (a fresh adapter gives ln 2 to within 1e-3, as above).
  await assertWarmChild(a, /--init-adapter nodes\/n0000\/ckpt/, 2e-3);
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
