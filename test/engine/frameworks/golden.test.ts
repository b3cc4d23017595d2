// Golden-file tests of every renderer: the rendered configs and stage commands of fixed node
// configs are compared with the files committed under test/engine/frameworks/golden/<case>/.
// TREX_UPDATE_GOLDEN=1 rewrites them (review the diff before committing).
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { planNodeStages, type NodeStages } from '../../../src/engine/frameworks';
import type { JsonObject, TaskSpec } from '../../../src/engine/spec/types';
import { ROOT } from '../../helpers/cli';
import { context, llmSpec, train } from './fixtures';

const GOLDEN = join(ROOT, 'test', 'engine', 'frameworks', 'golden');
const UPDATE = process.env.TREX_UPDATE_GOLDEN === '1';

interface Case {
  name: string;
  spec: TaskSpec;
  train: JsonObject;
  /** A warm start from this parent node. */
  warmFrom?: string;
}

const twoGpus = llmSpec({ compute: { backend: 'ssh:gpu-host', gpus_per_node: 2, gpu_memory_gib: 80 } });
// tracking.tensorboard.framework_logs: report_to tensorboard into the node folder, which comes back as an output.
const frameworkLogs = llmSpec({ tracking: { tensorboard: { framework_logs: true } } });
const CASES: Case[] = [
  { name: 'hf-tensorboard', spec: frameworkLogs, train: train({ framework: 'hf' }) },
  { name: 'trl-tensorboard', spec: frameworkLogs, train: train({ framework: 'trl' }) },
  { name: 'llamafactory-tensorboard', spec: frameworkLogs, train: train({}) },
  { name: 'llamafactory-sft-lora', spec: llmSpec(), train: train({}) },
  { name: 'llamafactory-dpo-qlora-2gpu', spec: twoGpus, train: train({ method: 'dpo', finetuning: 'qlora', dpo_beta: 0.2 }) },
  { name: 'trl-sft-full', spec: llmSpec(), train: train({ framework: 'trl', finetuning: 'full', max_steps: 500 }) },
  { name: 'trl-dpo-lora-2gpu', spec: twoGpus, train: train({ framework: 'trl', method: 'dpo' }) },
  { name: 'hf-sft-lora-2gpu', spec: twoGpus, train: train({ framework: 'hf' }) },
  // Evaluation during training (eval_steps): the eval loss on validation examples the launcher writes.
  { name: 'trl-sft-eval-steps', spec: llmSpec(), train: train({ framework: 'trl', eval_steps: 50 }) },
  { name: 'llamafactory-sft-eval-steps', spec: llmSpec(), train: train({ eval_steps: 50 }) },
  { name: 'hf-dpo-full', spec: llmSpec(), train: train({ framework: 'hf', method: 'dpo', finetuning: 'full', precision: 'fp16' }) },
  {
    name: 'hf-memory-adapted',
    spec: llmSpec({ base_model: 'Qwen/Qwen3-8B' }),
    train: train({ framework: 'hf', batch_size: 32, gradient_accumulation_steps: 1, max_seq_len: 4096, gradient_checkpointing: false }),
  },
  {
    name: 'llamafactory-lm-eval',
    spec: llmSpec({ evaluation: { kind: 'lm_eval', lm_eval: { tasks: ['sst2'], test_tasks: ['glue_sst2_test'], metric: 'acc,none', num_fewshot: 0 } } }),
    train: train({}),
  },
  {
    name: 'trl-script-eval',
    spec: llmSpec({ metric: { name: 'my_score', goal: 'maximize' }, evaluation: { kind: 'script', script: { command: 'python3 eval/score.py --predictions {predictions} --out {out}', files: ['eval/score.py'] } } }),
    train: train({ framework: 'trl' }),
  },
  {
    name: 'micro',
    spec: llmSpec({ base_model: 'micro-gpt', task: { kind: 'micro', generator: 'addition' } }),
    train: { framework: 'micro', method: 'sft', finetuning: 'full', learning_rate: 0.003 },
  },
  // Warm starts: the parent's checkpoint is declared in the train stage's inputs made elsewhere
  // (produced) and handed to each framework its own way.
  {
    name: 'micro-warm',
    spec: llmSpec({ base_model: 'micro-gpt', task: { kind: 'micro', generator: 'addition' } }),
    train: { framework: 'micro', method: 'sft', finetuning: 'full', learning_rate: 0.003 },
    warmFrom: 'n0001',
  },
  { name: 'hf-dpo-lora-warm', spec: llmSpec(), train: train({ framework: 'hf', method: 'dpo' }), warmFrom: 'n0001' },
  { name: 'trl-sft-lora-warm', spec: llmSpec(), train: train({ framework: 'trl' }), warmFrom: 'n0001' },
  { name: 'llamafactory-sft-lora-warm', spec: llmSpec(), train: train({}), warmFrom: 'n0001' },
];

/** Everything a case renders, as golden file name -> text. */
function rendered(stages: NodeStages): Map<string, string> {
  const out = new Map<string, string>();
  const { prepare, train: trainStage, evaluate, notes, framework, warmStart } = stages;
  out.set('stages.json', `${JSON.stringify({ framework, notes, warmStart, prepare, train: trainStage, evaluate }, null, 2)}\n`);
  for (const f of stages.files) out.set(f.path.replace(/^nodes\/n0003\/run\//, '').replace(/\//g, '__'), f.content);
  return out;
}

for (const c of CASES) {
  test(`golden: ${c.name}`, () => {
    const files = rendered(planNodeStages({ ...context(c.spec, c.train), warmFrom: c.warmFrom }));
    const dir = join(GOLDEN, c.name);
    if (UPDATE) {
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      for (const [name, text] of files) writeFileSync(join(dir, name), text);
      return;
    }
    assert.ok(existsSync(dir), `no golden files for ${c.name}; run the tests with TREX_UPDATE_GOLDEN=1`);
    assert.deepEqual(readdirSync(dir).sort(), [...files.keys()].sort(), `${c.name}: the set of rendered files changed`);
    for (const [name, text] of files) assert.equal(text, readFileSync(join(dir, name), 'utf8'), `${c.name}/${name} differs from the golden file (TREX_UPDATE_GOLDEN=1 regenerates)`);
  });
}

test('a full fine-tune never continues a parent checkpoint: asked to, rendering refuses', () => {
  assert.throws(() => planNodeStages({ ...context(llmSpec(), train({ framework: 'hf', finetuning: 'full' })), warmFrom: 'n0001' }), /cannot continue n0001's checkpoint/);
});
