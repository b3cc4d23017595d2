// The shipped llm examples (examples/tiny-sft, examples/tiny-dpo) as a user runs them: `trex init
// --from` copies the spec and its data files, `trex run` trains on the reserved base model
// trex:tiny-llama (built into the trainer cache on first use) with the real libraries of the
// trainer venv. Skips, saying so, only when the venv is absent.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse, stringify } from 'yaml';
import { ROOT, status, tempDir, trex } from '../../helpers/cli';

const PYTHON = process.env.TREX_TRAINER_PYTHON ?? join(ROOT, '.venv-trainer', 'bin', 'python');
const SKIP = existsSync(PYTHON) ? false : `no trainer venv at ${PYTHON}: run .ci/setup.sh (or set TREX_TRAINER_PYTHON)`;
const ENV = {
  TREX_PYTHON: PYTHON,
  TREX_CACHE: process.env.TREX_CACHE ?? join(ROOT, '.trex-cache'),
  CUDA_VISIBLE_DEVICES: '',
  HF_HUB_OFFLINE: '1',
  HF_DATASETS_OFFLINE: '1',
  TRANSFORMERS_OFFLINE: '1',
  TOKENIZERS_PARALLELISM: 'false',
  OMP_NUM_THREADS: '2',
};

function initFrom(example: string): string {
  const dir = join(tempDir('trex-llm-example-'), example);
  const r = trex(['init', dir, '--from', example], ENV);
  assert.equal(r.code, 0, r.stderr);
  return dir;
}

test('trex init --from tiny-sft copies the spec and its data files', () => {
  const dir = initFrom('tiny-sft');
  for (const f of ['trex.yaml', 'train.jsonl', 'validation.jsonl']) {
    assert.equal(readFileSync(join(dir, f), 'utf8'), readFileSync(join(ROOT, 'examples', 'tiny-sft', f), 'utf8'), f);
  }
});

/**
 * `trex run --budget 4` on a tiny-sft copy whose baseline trains with `framework` (the example's
 * own is trl): four real LoRA adapters with real, differing scores.
 */
function budgetFour(framework: string, ran: RegExp): void {
  const dir = initFrom('tiny-sft');
  if (framework !== 'trl') {
    const specPath = join(dir, 'trex.yaml');
    const spec = parse(readFileSync(specPath, 'utf8')) as { baseline: { train: Record<string, unknown> } };
    spec.baseline.train.framework = framework;
    writeFileSync(specPath, stringify(spec));
  }
  const r = trex(['run', dir, '--budget', '4'], ENV);
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  const s = status(dir);
  assert.equal(s.nodes.length, 4);
  for (const n of s.nodes) {
    assert.equal(n.status, 'succeeded', `${n.id}: ${n.failure}`);
    const metrics = JSON.parse(readFileSync(join(dir, 'nodes', n.id, 'metrics.json'), 'utf8')) as { metric: string; validation: Record<string, number> };
    assert.equal(metrics.metric, 'accuracy');
    assert.equal(metrics.validation.n, 24);
    assert.equal(metrics.validation.accuracy, n.score);
    assert.ok(existsSync(join(dir, 'nodes', n.id, 'ckpt', 'adapter_model.safetensors')), `${n.id} saved LoRA weights`);
    assert.ok(existsSync(join(dir, 'nodes', n.id, 'ckpt', 'adapter_config.json')), `${n.id} saved a LoRA config`);
    assert.match(readFileSync(join(dir, 'nodes', n.id, 'logs', 'train.log'), 'utf8'), ran, `${n.id} ran ${framework}`);
  }
  assert.ok(new Set(s.nodes.map((n) => n.score)).size > 1, `scores differ between nodes: ${s.nodes.map((n) => n.score).join(', ')}`);
}

test('tiny-sft: trex run --budget 4 with trl trains four LoRA adapters with real, differing scores', { skip: SKIP }, () => {
  budgetFour('trl', /launch trl: /);
});

// LLaMA-Factory's `trex run --budget 4` (and more) on this example runs over ssh in test/engine/backends/ssh/llmSearch.test.ts.
test('tiny-sft with train.framework hf: trex run --budget 4 trains four LoRA adapters with the built-in script, scores differ', { skip: SKIP }, () => {
  budgetFour('hf', /train tiny-sft: \d+ examples, \d+ steps/);
});

test('tiny-dpo: validates, and its baseline runs through hf DPO on the prefs/ dataset folder', { skip: SKIP }, () => {
  const dir = initFrom('tiny-dpo');
  assert.ok(existsSync(join(dir, 'prefs', 'train.jsonl')), 'the dataset folder was copied');
  const v = trex(['validate', dir], ENV);
  assert.equal(v.code, 0, v.stderr);
  const r = trex(['run', dir, '--budget', '1'], ENV);
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  const [n] = status(dir).nodes;
  assert.equal(n.status, 'succeeded', `${n.id}: ${n.failure}`);
  assert.equal(typeof n.score, 'number');
  assert.ok(existsSync(join(dir, 'nodes', n.id, 'ckpt', 'adapter_model.safetensors')), 'DPO saved LoRA weights');
});
