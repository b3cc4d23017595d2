// The tiny sentiment task the real-framework runs use (tests and bench): 64 training and 10
// validation reviews, labels as words, the tiny Llama (./tiny) as base model.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JsonObject } from '../../src/engine';

/**
 * A review text and its label (0 awful, 1 great), as in the tiny model's pretraining corpus.
 * `wrong` is the rejected answer of preference (DPO) runs: an off-label word, a preference the tiny
 * model learns within 12 steps (the other label is too noisy a signal at this size and length).
 */
export function review(i: number): { sentence: string; label: number; wrong: string } {
  return { sentence: `the food was ${i % 2 ? 'great' : 'awful'} number ${i}`, label: i % 2, wrong: 'unsure' };
}

export function writeReviews(dir: string): void {
  const row = (i: number) => JSON.stringify(review(i));
  writeFileSync(join(dir, 'train.jsonl'), Array.from({ length: 64 }, (_, i) => row(i)).join('\n') + '\n');
  writeFileSync(join(dir, 'val.jsonl'), Array.from({ length: 10 }, (_, i) => row(100 + i)).join('\n') + '\n');
}

/** trex.yaml of the task, and the baseline recipe, for a given train.yaml. */
export function reviewsSpec(name: string, train: JsonObject): { spec: JsonObject; recipe: JsonObject } {
  const mapping = { prompt: 'Review: {sentence}', response: 'label' };
  const values = { label: { '0': 'negative', '1': 'positive' } };
  const trainMapping = train.method === 'dpo' ? { ...mapping, rejected: 'wrong' } : mapping;
  const recipe = { sources: [{ name: 'main', kind: 'file', path: 'train.jsonl', params: { values } }], mapping: trainMapping, filters: [{ kind: 'dedup' }] };
  const spec = {
    name,
    objective: 'real framework runs',
    base_model: './tiny',
    task: {
      kind: 'llm',
      model_params_b: 0.0001,
      llamafactory_template: 'chatml',
      eval_data: { validation: { kind: 'file', path: 'val.jsonl' }, mapping, params: { values } },
      answer: { kind: 'label', labels: ['negative', 'positive'] },
    },
    metric: { name: 'accuracy', goal: 'maximize' },
    evaluation: { validation_size: 10, max_new_tokens: 4 },
    compute: { backend: 'local', gpu_memory_gib: 80 },
    baseline: { recipe, train },
    search_space: [{ path: 'train.learning_rate', values: [0.001, 0.002] }],
  };
  return { spec, recipe };
}
