// Shared setup for the real framework runs: the trainer venv, the tiny Llama built here
// (trainer/trex_llm/tiny_model.py; no hub), a small review data set, an experiment around them,
// and one node run through the engine's own prepare → train → evaluate stage plans.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';
import { NodeExecutor } from '../../../src/engine/executor/executor';
import { Experiment, initExperiment, LocalBackend, type JsonObject } from '../../../src/engine';
import { ROOT, tempDir } from '../../helpers/cli';
import { review, reviewsSpec, writeReviews } from '../../../fixtures/reviewsExperiment';

export { review };

export const PYTHON = process.env.TREX_TRAINER_PYTHON ?? join(ROOT, '.venv-trainer', 'bin', 'python');
export const SKIP = existsSync(PYTHON) ? false : `no trainer venv at ${PYTHON}: run .ci/setup.sh (or set TREX_TRAINER_PYTHON)`;
export const ENV = { CUDA_VISIBLE_DEVICES: '', HF_HUB_OFFLINE: '1', HF_DATASETS_OFFLINE: '1', TRANSFORMERS_OFFLINE: '1', TOKENIZERS_PARALLELISM: 'false', OMP_NUM_THREADS: '2' };
const CACHE = process.env.TREX_CACHE ?? tempDir('trex-real-cache-');

export const TRAIN = { finetuning: 'lora', learning_rate: 0.01, max_steps: 12, batch_size: 4, gradient_accumulation_steps: 1, max_seq_len: 64, precision: 'fp32', warmup_ratio: 0, lr_scheduler: 'constant', lora: { rank: 8, alpha: 16, dropout: 0, target: 'all' } };

/** What a test adds to the standard experiment: spec keys replaced, and files written into it. */
export interface RealOptions {
  spec?: JsonObject;
  files?: Record<string, string>;
}

export function tinyModel(into: string): void {
  const r = spawnSync(PYTHON, [join(ROOT, 'trainer', 'trex_llm', 'tiny_model.py'), '--cache', CACHE, '--out', into], { encoding: 'utf8', env: { ...process.env, ...ENV } });
  assert.equal(r.status, 0, r.stderr);
}

export function experiment(train: JsonObject, options: RealOptions = {}): { exp: Experiment; id: string } {
  const dir = tempDir('trex-real-');
  writeReviews(dir);
  for (const [rel, content] of Object.entries(options.files ?? {})) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), content);
  }
  tinyModel(join(dir, 'tiny'));
  const made = reviewsSpec('real', train);
  const recipe = made.recipe;
  const spec = { ...made.spec, ...options.spec };
  initExperiment(dir, stringify(spec));
  const exp = Experiment.open(dir);
  const id = exp.createNode({ parent: null, origin: 'root', title: 'baseline', plan: '# baseline\n', config: { recipe, train }, changes: [] });
  return { exp, id };
}

export interface RealRun {
  exp: Experiment;
  id: string;
  ckpt: string;
  log: string;
}

export async function runNode(framework: string, extra: JsonObject = {}, options: RealOptions = {}): Promise<RealRun> {
  const { exp, id } = experiment({ framework, ...TRAIN, ...extra }, options);
  mkdirSync(join(exp.dir, '.hf'), { recursive: true });
  return execute(exp, id, false);
}

/**
 * A child of `parent` whose train.yaml differs by `changes` (e.g. a larger max_steps), run with
 * warm starts allowed: it continues the parent's checkpoint when the engine's rule lets it.
 */
export async function runChild(parent: RealRun, changes: JsonObject): Promise<RealRun> {
  const { exp } = parent;
  const config = exp.readNodeConfig(parent.id);
  const id = exp.createNode({
    parent: parent.id,
    origin: 'fork',
    title: 'longer',
    plan: '# longer\n',
    config: { recipe: config.recipe, train: { ...config.train, ...changes } },
    changes: Object.entries(changes).map(([k, to]) => ({ path: `train.${k}`, from: config.train[k], to })),
  });
  return execute(exp, id, true);
}

async function execute(exp: Experiment, id: string, warmStart: boolean): Promise<RealRun> {
  const backend = new LocalBackend({ experimentDir: exp.dir, runnerDir: join(ROOT, 'trainer'), python: PYTHON, cacheDir: join(exp.dir, '.cache') });
  const executor = new NodeExecutor(exp, backend, { reuse: { dedupe: false, data_cache: true, warm_start: warmStart }, threads: 1, pollMs: 50, env: { ...ENV, HF_HOME: join(exp.dir, '.hf') } });
  const outcome = await executor.run(id, new AbortController().signal);
  const logs = ['prepare', 'train', 'evaluate'].map((s) => exp.nodePath(id, 'logs', `${s}.log`)).filter(existsSync);
  const log = logs.map((p) => readFileSync(p, 'utf8')).join('\n');
  assert.equal(outcome, 'succeeded', `${exp.tree.get(id).failure?.reason}\n${log.slice(-3000)}`);
  return { exp, id, ckpt: join(exp.dir, 'nodes', id, 'ckpt'), log };
}

/** Losses in the framework's own trainer_log.jsonl (LLaMA-Factory format; written by HF script, wrapper or LLaMA-Factory). */
export function losses(ckpt: string): number[] {
  const rows = readFileSync(join(ckpt, 'trainer_log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { loss?: number });
  return rows.map((r) => r.loss).filter((l): l is number => typeof l === 'number');
}
