// A typed view of train.yaml for the LLM frameworks, with the defaults every renderer shares.
// train.yaml was validated against train.schema.json already; this only fills gaps.
import type { Json, JsonObject } from '../spec/types';
import { isPlainObject } from '../util/isPlainObject';
import { LLM_FRAMEWORKS, RenderError, type LlmFramework } from './types';

export interface LlmTrain {
  framework: LlmFramework;
  method: 'sft' | 'dpo';
  finetuning: 'full' | 'lora' | 'qlora';
  learning_rate: number;
  epochs: number;
  max_steps: number | null;
  batch_size: number;
  gradient_accumulation_steps: number;
  gradient_checkpointing: boolean;
  lora: { rank: number; alpha: number; dropout: number; target: string };
  warmup_ratio: number;
  weight_decay: number;
  lr_scheduler: 'cosine' | 'linear' | 'constant';
  max_seq_len: number;
  precision: 'fp32' | 'bf16' | 'fp16';
  dpo_beta: number;
  seed: number;
}

const num = (v: Json | undefined, d: number): number => (typeof v === 'number' ? v : d);
const str = <T extends string>(v: Json | undefined, d: T): T => (typeof v === 'string' ? (v as T) : d);

export function readLlmTrain(train: JsonObject): LlmTrain {
  const framework = train.framework;
  if (typeof framework !== 'string' || !(LLM_FRAMEWORKS as readonly string[]).includes(framework)) {
    throw new RenderError(`train.framework must be one of ${LLM_FRAMEWORKS.join(', ')} for an LLM task, got ${JSON.stringify(framework)}`);
  }
  const lora = (isPlainObject(train.lora) ? train.lora : {}) as JsonObject;
  const maxSteps = train.max_steps;
  return {
    framework: framework as LlmFramework,
    method: str(train.method, 'sft'),
    finetuning: str(train.finetuning, 'lora'),
    learning_rate: num(train.learning_rate, 1e-4),
    epochs: num(train.epochs, 1),
    max_steps: typeof maxSteps === 'number' ? maxSteps : null,
    batch_size: num(train.batch_size, 4),
    gradient_accumulation_steps: num(train.gradient_accumulation_steps, 1),
    gradient_checkpointing: typeof train.gradient_checkpointing === 'boolean' ? train.gradient_checkpointing : true,
    lora: { rank: num(lora.rank, 16), alpha: num(lora.alpha, 32), dropout: num(lora.dropout, 0.05), target: str(lora.target, 'all') },
    warmup_ratio: num(train.warmup_ratio, 0.03),
    weight_decay: num(train.weight_decay, 0),
    lr_scheduler: str(train.lr_scheduler, 'cosine'),
    max_seq_len: num(train.max_seq_len, 2048),
    precision: str(train.precision, 'bf16'),
    dpo_beta: num(train.dpo_beta, 0.1),
    seed: num(train.seed, 0),
  };
}

