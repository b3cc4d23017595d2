// `trex export` of an llm node, checked the way a user would check it: the shipped tiny-sft
// example trains its baseline on trex:tiny-llama through the CLI, the node is exported, the
// experiment is deleted, and the bundle's run.sh runs by hand with only the trainer venv's Python
// (no node, no TREX on the PATH, a fresh HOME). The bundle's score must equal the node's: on a CPU
// with the same seed, library versions and thread count (which run.sh pins) every stage is
// deterministic, so the adapter weights and the predictions come out bit for bit the same, and no
// noise tolerance is needed. The other frameworks' renderings (--format) are checked by the
// frameworks' own argument parsers. Skips, saying so, only when the trainer venv is absent.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Experiment } from '../../src/engine';
import { ROOT, status, tempDir, trex } from '../helpers/cli';

const PYTHON = process.env.TREX_TRAINER_PYTHON ?? join(ROOT, '.venv-trainer', 'bin', 'python');
const SKIP = existsSync(PYTHON) ? false : `no trainer venv at ${PYTHON}: run .ci/setup.sh (or set TREX_TRAINER_PYTHON)`;
const CACHE = process.env.TREX_CACHE ?? join(ROOT, '.trex-cache');
const OFFLINE = { CUDA_VISIBLE_DEVICES: '', HF_HUB_OFFLINE: '1', HF_DATASETS_OFFLINE: '1', TRANSFORMERS_OFFLINE: '1', TOKENIZERS_PARALLELISM: 'false' };
const ENV = { ...OFFLINE, TREX_PYTHON: PYTHON, TREX_CACHE: CACHE };

interface Metrics {
  metric: string;
  validation: Record<string, number>;
}

function initTinySft(): string {
  const dir = join(tempDir('trex-export-llm-'), 'tiny-sft');
  const r = trex(['init', dir, '--from', 'tiny-sft'], ENV);
  assert.equal(r.code, 0, r.stderr);
  return dir;
}

/** Python with the bundle's trainer/ on its path, in the bundle, offline; prints one JSON line. */
function bundlePython(bundle: string, code: string): unknown {
  const r = spawnSync(PYTHON, ['-c', code], { cwd: bundle, encoding: 'utf8', env: { PATH: '/usr/bin:/bin', HOME: tempDir('trex-export-home-'), PYTHONPATH: join(bundle, 'trainer'), TREX_CACHE: CACHE, ...OFFLINE } });
  assert.equal(r.status, 0, r.stderr.slice(-3000));
  return JSON.parse(r.stdout.trim().split('\n').pop() ?? 'null');
}

test('an exported tiny-sft node (trl) gives the same score, weights and predictions when its run.sh is run by hand', { skip: SKIP }, () => {
  const dir = initTinySft();
  const run = trex(['run', dir, '--budget', '1'], ENV);
  assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
  const [node] = status(dir).nodes;
  assert.equal(node.status, 'succeeded', node.failure ?? '');
  const id = node.id;
  const nodeFile = (rel: string) => readFileSync(join(dir, 'nodes', id, rel));
  const metrics = JSON.parse(nodeFile('metrics.json').toString()) as Metrics;
  const [weights, predictions] = [nodeFile('ckpt/adapter_model.safetensors'), nodeFile('predictions.jsonl')];
  const threads = /TREX_THREADS=(\d+)/.exec(nodeFile('run/train/cmd').toString())?.[1];
  assert.ok(threads, 'the train stage ran with a thread count');

  const out = join(tempDir('trex-export-llm-out-'), 'bundle');
  const exported = trex(['export', dir, id, out], ENV);
  assert.equal(exported.code, 0, exported.stderr);
  for (const f of ['train.jsonl', 'validation.jsonl', `nodes/${id}/run/trl/sft.yaml`, `nodes/${id}/run/task.json`, `nodes/${id}/run/recipe.json`, 'trainer/trex_llm/tiny_model.py', 'trainer/trex_llm/trl_compat.py', 'trainer/requirements.lock']) {
    assert.ok(existsSync(join(out, f)), `${f} is in the bundle`);
  }
  assert.match(readFileSync(join(out, 'trainer', 'requirements.txt'), 'utf8'), /^trl==\d+\.\d+\.\d+$/m, 'versions are pinned');
  const script = readFileSync(join(out, 'run.sh'), 'utf8');
  assert.match(script, /^export TREX_CACHE="\$CACHE"$/m, 'the trainer finds the base model in $CACHE');
  assert.match(script, new RegExp(`^export TREX_THREADS=\\$\\{TREX_THREADS:-${threads}\\}$`, 'm'), 'the thread count TREX used is the default');
  const readme = readFileSync(join(out, 'README.md'), 'utf8');
  assert.match(readme, new RegExp(`accuracy \\(validation, used for selection\\): ${metrics.validation.accuracy.toFixed(4)}`));
  assert.match(readme, /trainer\/trex_llm\/tiny_model\.py/, 'the README says where the tiny base model comes from');
  assert.match(readme, /the stages are deterministic \(checked for TRL/, 'the README says what to expect of the reproduction');

  // Nothing of the experiment is left to lean on.
  rmSync(dir, { recursive: true, force: true });
  const home = tempDir('trex-export-llm-home-');
  // Only the venv's Python: no node, no TREX_*; CACHE holds the tiny model the node was trained from.
  const byHand = spawnSync('bash', [join(out, 'run.sh')], { encoding: 'utf8', timeout: 900_000, env: { PATH: '/usr/bin:/bin', HOME: home, PYTHON, CACHE, ...OFFLINE } });
  assert.equal(byHand.status, 0, `${byHand.stdout.slice(-3000)}\n${byHand.stderr.slice(-3000)}`);
  assert.ok(!existsSync(join(home, '.cache', 'trex')), 'the base model came from $CACHE, not a rebuild under $HOME');
  const again = JSON.parse(readFileSync(join(out, 'nodes', id, 'metrics.json'), 'utf8')) as Metrics;
  assert.equal(again.metric, 'accuracy');
  assert.equal(again.validation.n, metrics.validation.n);
  // Exact: deterministic on a CPU with the same seed, versions and threads (see the file comment).
  assert.equal(again.validation.accuracy, metrics.validation.accuracy, `bundle ${again.validation.accuracy} vs node ${metrics.validation.accuracy}`);
  assert.ok(readFileSync(join(out, 'nodes', id, 'ckpt', 'adapter_model.safetensors')).equals(weights), 'the same LoRA weights, bit for bit');
  assert.ok(readFileSync(join(out, 'nodes', id, 'predictions.jsonl')).equals(predictions), 'the same predictions');
});

test('tiny-sft exported --format hf and --format llamafactory: the rendered configs pass those trainers\' own checks', { skip: SKIP }, () => {
  const dir = initTinySft();
  const exp = Experiment.open(dir);
  const id = exp.createNode({ parent: null, origin: 'root', title: 'baseline', plan: '# baseline\n', config: { recipe: exp.spec.baseline.recipe as never, train: exp.spec.baseline.train as never }, changes: [] });
  const train = exp.readNodeConfig(id).train as { learning_rate: number; max_steps: number; seed: number; lora: { rank: number } };
  exp.close();

  const hf = join(tempDir('trex-export-hf-'), 'bundle');
  const r1 = trex(['export', dir, id, hf, '--format', 'hf'], ENV);
  assert.equal(r1.code, 0, r1.stderr);
  assert.match(readFileSync(join(hf, 'README.md'), 'utf8'), /TREX trained this node with trl; this bundle renders the same train\.yaml for hf/);
  assert.match(readFileSync(join(hf, 'run.sh'), 'utf8'), new RegExp(`trainer/trex_llm\\.py train .*--config nodes/${id}/run/hf/train\\.json`));
  // The built-in script's own validation of its config (trex_llm/config.py, as `train` runs it).
  const parsed = bundlePython(hf, `import json; from trex_llm import config; c = config.parse_train(json.load(open('nodes/${id}/run/hf/train.json'))); print(json.dumps({k: c[k] for k in ('method', 'finetuning', 'learning_rate', 'max_steps', 'seed')} | {'rank': c['lora_rank']}))`);
  assert.deepEqual(parsed, { method: 'sft', finetuning: 'lora', learning_rate: train.learning_rate, max_steps: train.max_steps, seed: train.seed, rank: train.lora.rank });

  const lf = join(tempDir('trex-export-lf-'), 'bundle');
  const r2 = trex(['export', dir, id, lf, '--format', 'llamafactory'], ENV);
  assert.equal(r2.code, 0, r2.stderr);
  assert.match(readFileSync(join(lf, 'run.sh'), 'utf8'), new RegExp(`llamafactory-cli train nodes/${id}/run/llamafactory/train\\.yaml`));
  // LLaMA-Factory's own parser (unknown keys and bad values are errors), with trex:tiny-llama
  // resolved to its folder as the bundle's launcher does; the dataset it names must be registered.
  const args = bundlePython(
    lf,
    [
      'import json, yaml',
      'from trex_llm.hf_models import resolve_base_model',
      'from llamafactory.hparams import get_train_args',
      `d = yaml.safe_load(open('nodes/${id}/run/llamafactory/train.yaml'))`,
      "d['model_name_or_path'] = resolve_base_model(d['model_name_or_path'])",
      'model, data, training, finetuning, _ = get_train_args(d)',
      "info = json.load(open(data.dataset_dir + '/dataset_info.json'))",
      "print(json.dumps({'stage': finetuning.stage, 'type': finetuning.finetuning_type, 'rank': finetuning.lora_rank, 'lr': training.learning_rate, 'steps': training.max_steps, 'seed': training.seed, 'registered': all(n in info for n in data.dataset), 'template': data.template}))",
    ].join('\n'),
  );
  assert.deepEqual(args, { stage: 'sft', type: 'lora', rank: train.lora.rank, lr: train.learning_rate, steps: train.max_steps, seed: train.seed, registered: true, template: 'chatml' });
});
