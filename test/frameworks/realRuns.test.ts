// Real fine-tuning through the engine's own stage plans (prepare → train → evaluate), with the
// real libraries of the trainer venv (.venv-trainer, made by .ci/setup.sh) on the tiny Llama
// built here (trainer/trex_llm/tiny_model.py: local BPE tokenizer, ChatML, briefly pretrained;
// no hub). Each test asserts what the framework produced: adapter files, a loss that decreases
// in its own trainer log, a metric in metrics.json. Skips, saying so, only when the venv is absent.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { stringify } from 'yaml';
import { NodeExecutor } from '../../src/engine/executor/executor';
import { Experiment, initExperiment, LocalBackend, type JsonObject } from '../../src/engine';
import { ROOT, tempDir } from '../helpers/cli';
import { reviewsSpec, writeReviews } from '../helpers/reviewsExperiment';

const PYTHON = process.env.TREX_TRAINER_PYTHON ?? join(ROOT, '.venv-trainer', 'bin', 'python');
const SKIP = existsSync(PYTHON) ? false : `no trainer venv at ${PYTHON}: run .ci/setup.sh (or set TREX_TRAINER_PYTHON)`;
const ENV = { CUDA_VISIBLE_DEVICES: '', HF_HUB_OFFLINE: '1', HF_DATASETS_OFFLINE: '1', TRANSFORMERS_OFFLINE: '1', TOKENIZERS_PARALLELISM: 'false', OMP_NUM_THREADS: '2' };
const CACHE = process.env.TREX_CACHE ?? tempDir('trex-real-cache-');

function tinyModel(into: string): void {
  const r = spawnSync(PYTHON, [join(ROOT, 'trainer', 'trex_llm', 'tiny_model.py'), '--cache', CACHE, '--out', into], { encoding: 'utf8', env: { ...process.env, ...ENV } });
  assert.equal(r.status, 0, r.stderr);
}

function experiment(train: JsonObject): { exp: Experiment; id: string } {
  const dir = tempDir('trex-real-');
  writeReviews(dir);
  tinyModel(join(dir, 'tiny'));
  const { spec, recipe } = reviewsSpec('real', train);
  initExperiment(dir, stringify(spec));
  const exp = Experiment.open(dir);
  const id = exp.createNode({ parent: null, origin: 'root', title: 'baseline', plan: '# baseline\n', config: { recipe, train }, changes: [] });
  return { exp, id };
}

const TRAIN = { finetuning: 'lora', learning_rate: 0.01, max_steps: 12, batch_size: 4, gradient_accumulation_steps: 1, max_seq_len: 64, precision: 'fp32', warmup_ratio: 0, lr_scheduler: 'constant', lora: { rank: 8, alpha: 16, dropout: 0, target: 'all' } };

async function runNode(framework: string, extra: JsonObject = {}): Promise<{ exp: Experiment; id: string; ckpt: string; log: string }> {
  const { exp, id } = experiment({ framework, ...TRAIN, ...extra });
  mkdirSync(join(exp.dir, '.hf'), { recursive: true });
  const backend = new LocalBackend({ experimentDir: exp.dir, runnerDir: join(ROOT, 'trainer'), python: PYTHON, cacheDir: join(exp.dir, '.cache') });
  const executor = new NodeExecutor(exp, backend, { reuse: { dedupe: false, data_cache: true, warm_start: false }, threads: 1, pollMs: 50, env: { ...ENV, HF_HOME: join(exp.dir, '.hf') } });
  const outcome = await executor.run(id, new AbortController().signal);
  const logs = ['prepare', 'train', 'evaluate'].map((s) => exp.nodePath(id, 'logs', `${s}.log`)).filter(existsSync);
  const log = logs.map((p) => readFileSync(p, 'utf8')).join('\n');
  assert.equal(outcome, 'succeeded', `${exp.tree.get(id).failure?.reason}\n${log.slice(-3000)}`);
  return { exp, id, ckpt: join(exp.dir, 'nodes', id, 'ckpt'), log };
}

/** Losses in the framework's own trainer_log.jsonl (LLaMA-Factory format; written by HF script, wrapper or LLaMA-Factory). */
function losses(ckpt: string): number[] {
  const rows = readFileSync(join(ckpt, 'trainer_log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { loss?: number });
  return rows.map((r) => r.loss).filter((l): l is number => typeof l === 'number');
}

function assertProduced(exp: Experiment, id: string, ckpt: string): void {
  assert.ok(existsSync(join(ckpt, 'adapter_config.json')), 'a LoRA adapter config was saved');
  assert.ok(existsSync(join(ckpt, 'adapter_model.safetensors')), 'LoRA adapter weights were saved');
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
