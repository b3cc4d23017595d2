// The executor dispatches on train.yaml `framework`: an LLM node runs the recipe runner, the
// training framework and the evaluator; a config that cannot fit the GPU fails in setup with
// the reason, before any stage runs.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { stringify } from 'yaml';
import { NodeExecutor } from '../../../src/engine/executor/executor';
import { Experiment, initExperiment, LocalBackend, type JsonObject } from '../../../src/engine';
import { ROOT, tempDir } from '../../helpers/cli';

const PYTHON = process.env.TREX_PYTHON ?? '/usr/bin/python3';
const HAS_HF = spawnSync(PYTHON, ['-c', 'import transformers, peft'], { encoding: 'utf8' }).status === 0;

function reviews(dir: string): void {
  const row = (i: number) => JSON.stringify({ sentence: `the food was ${i % 2 ? 'great' : 'awful'} number ${i}`, label: i % 2 });
  writeFileSync(join(dir, 'train.jsonl'), Array.from({ length: 60 }, (_, i) => row(i)).join('\n') + '\n');
  writeFileSync(join(dir, 'val.jsonl'), Array.from({ length: 10 }, (_, i) => row(100 + i)).join('\n') + '\n');
}

function experiment(baseModel: string, train: JsonObject, task: JsonObject = {}): { exp: Experiment; id: string } {
  const dir = tempDir('trex-fw-');
  reviews(dir);
  const mapping = { prompt: 'Review: {sentence}', response: 'label' };
  const values = { label: { '0': 'negative', '1': 'positive' } };
  const recipe = { sources: [{ name: 'main', kind: 'file', path: 'train.jsonl', params: { values } }], mapping, filters: [{ kind: 'dedup' }] };
  const spec = {
    name: 'fw',
    objective: 'executor dispatch',
    base_model: baseModel,
    task: { kind: 'llm', eval_data: { validation: { kind: 'file', path: 'val.jsonl' }, mapping, params: { values } }, answer: { kind: 'label', labels: ['negative', 'positive'] }, ...task },
    metric: { name: 'accuracy', goal: 'maximize' },
    evaluation: { validation_size: 10, max_new_tokens: 4 },
    compute: { backend: 'local', gpu_memory_gib: 80 },
    baseline: { recipe, train },
    search_space: [{ path: 'train.learning_rate', values: [0.001, 0.002] }, { path: 'train.epochs', values: [1, 2] }, { path: 'train.batch_size', values: [4, 8] }],
  };
  initExperiment(dir, stringify(spec));
  const exp = Experiment.open(dir);
  const id = exp.createNode({ parent: null, origin: 'root', title: 'baseline', plan: '# baseline\n', config: { recipe, train }, changes: [] });
  return { exp, id };
}

function executor(exp: Experiment): NodeExecutor {
  const backend = new LocalBackend({ experimentDir: exp.dir, runnerDir: join(ROOT, 'trainer'), python: PYTHON, cacheDir: join(exp.dir, '.cache') });
  return new NodeExecutor(exp, backend, { reuse: { dedupe: false, data_cache: true, warm_start: false }, threads: 1, pollMs: 20, env: { CUDA_VISIBLE_DEVICES: '' } });
}

test('a config that cannot fit the GPU fails in setup with the reason, before any stage runs', async () => {
  const { exp, id } = experiment('Qwen/Qwen3-32B', { framework: 'llamafactory', finetuning: 'full', learning_rate: 0.0001, batch_size: 4 });
  assert.equal(await executor(exp).run(id, new AbortController().signal), 'failed');
  const node = exp.tree.get(id);
  assert.equal(node.failure?.stage, 'setup');
  assert.match(node.failure?.reason ?? '', /train\.yaml does not fit in GPU memory: full sft of a 32B model .*use finetuning: lora or qlora/);
  assert.equal(existsSync(exp.nodePath(id, 'logs', 'prepare.log')), false);
  exp.close();
});

test('an hf node runs the recipe runner, then the built-in trainer (or says what the machine lacks)', async (t) => {
  let baseModel = 'Qwen/Qwen3-0.6B';
  if (HAS_HF) {
    baseModel = './tiny';
    t.diagnostic('transformers and peft found: training a tiny local model on CPU');
  }
  const { exp, id } = experiment(baseModel, { framework: 'hf', finetuning: 'lora', learning_rate: 0.005, max_steps: 4, batch_size: 4, max_seq_len: 64, lora: { rank: 4, alpha: 8, dropout: 0, target: 'all' } }, HAS_HF ? { model_params_b: 0.001 } : {});
  if (HAS_HF) {
    const r = spawnSync(PYTHON, [join(ROOT, 'trainer', 'trex_llm', 'tests', 'tiny_model.py'), '--out', join(exp.dir, 'tiny'), '--corpus', join(exp.dir, 'train.jsonl'), join(exp.dir, 'val.jsonl'), '--hidden', '32'], { encoding: 'utf8', env: { ...process.env, CUDA_VISIBLE_DEVICES: '' } });
    assert.equal(r.status, 0, r.stderr);
  }
  const outcome = await executor(exp).run(id, new AbortController().signal);
  const node = exp.tree.get(id);
  const stats = JSON.parse(readFileSync(exp.nodePath(id, 'data_stats.json'), 'utf8')) as { num_examples: number; validation: { num_examples: number } };
  assert.deepEqual([stats.num_examples, stats.validation.num_examples], [60, 10], 'prepare ran the recipe on the local files');
  assert.ok(existsSync(join(exp.dir, 'nodes', id, 'run', 'hf', 'train.json')), 'the rendered config is in the node');
  assert.ok(existsSync(join(exp.dir, 'nodes', id, 'run', 'memory.md')), 'the memory plan is in the node');
  if (HAS_HF) {
    assert.equal(outcome, 'succeeded', node.failure?.reason);
    assert.ok(typeof node.result?.score === 'number');
    assert.ok(existsSync(exp.nodePath(id, 'predictions.jsonl')));
  } else {
    assert.equal(outcome, 'failed');
    assert.equal(node.failure?.stage, 'train');
    assert.match(node.failure?.reason ?? '', /exit code 2: trex_llm train: invalid input: framework: the training machine's python .* lacks transformers, peft/);
  }
  exp.close();
});
