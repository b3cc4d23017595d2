// A fixed LLM task and node context for rendering tests (independent of the shipped examples,
// so golden files change only when a renderer does).
import type { JsonObject, TaskSpec } from '../../../src/engine/spec/types';
import { resolveTrain, type StageContext } from '../../../src/engine/frameworks';

export function llmSpec(overrides: Partial<TaskSpec> = {}): TaskSpec {
  return {
    name: 'golden',
    objective: 'render configs',
    base_model: 'Qwen/Qwen3-1.7B',
    task: {
      kind: 'llm',
      eval_data: { validation: { kind: 'file', path: 'data/val.jsonl' }, test: { kind: 'hf', dataset: 'stanfordnlp/sst2', split: 'validation' } },
      answer: { kind: 'label', labels: ['negative', 'positive'] },
    },
    metric: { name: 'accuracy', goal: 'maximize' },
    evaluation: { validation_size: 100, test_size: 100, seed: 1 },
    compute: { backend: 'ssh:gpu-host', gpus_per_node: 1, gpu_memory_gib: 80 },
    baseline: { recipe: { sources: [] }, train: { learning_rate: 0.0001 } },
    search_space: [],
    ...overrides,
  };
}

export const RECIPE: JsonObject = {
  sources: [
    { name: 'local', kind: 'file', path: 'data/train.jsonl' },
    { name: 'remote', kind: 'file', path: 'https://example.org/extra.csv' },
    { name: 'hub', kind: 'hf', dataset: 'stanfordnlp/sst2', split: 'train' },
  ],
  mapping: { prompt: 'Review: {sentence}', response: 'label' },
  filters: [{ kind: 'dedup' }],
};

export function train(overrides: JsonObject): JsonObject {
  return {
    framework: 'llamafactory',
    method: 'sft',
    finetuning: 'lora',
    learning_rate: 0.0001,
    epochs: 2,
    max_steps: null,
    batch_size: 8,
    gradient_accumulation_steps: 2,
    lora: { rank: 16, alpha: 32, dropout: 0.05, target: 'all' },
    warmup_ratio: 0.03,
    weight_decay: 0,
    lr_scheduler: 'cosine',
    max_seq_len: 1024,
    precision: 'bf16',
    seed: 0,
    ...overrides,
  };
}

export function context(spec: TaskSpec, trainConfig: JsonObject, recipe: JsonObject = RECIPE): StageContext {
  return { nodeId: 'n0003', runDir: 'nodes/n0003/run', dataDir: 'cache/data/abc123', spec, recipe, train: resolveTrain(trainConfig) };
}
