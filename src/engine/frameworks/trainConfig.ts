// train.yaml resolved once into a typed config with every field set: the one place train defaults
// live. The hash of a node, the run's train.json and every renderer read this; the trainers require
// every field of what is rendered from it and default nothing themselves.
// train.yaml was validated against train.schema.json already; this only fills gaps.
import type { Json, JsonObject } from '../spec/types';
import { isPlainObject } from '../util/isPlainObject';
import { LLM_FRAMEWORKS, RenderError, type LlmFramework } from './types';

/** Fields every framework reads. */
type TrainCore = {
  method: 'sft' | 'dpo';
  finetuning: 'full' | 'lora' | 'qlora';
  learning_rate: number;
  epochs: number;
  /** null: train for `epochs`. */
  max_steps: number | null;
  batch_size: number;
  lora: { rank: number; alpha: number; dropout: number; target: string };
  warmup_ratio: number;
  weight_decay: number;
  lr_scheduler: 'cosine' | 'linear' | 'constant';
  max_seq_len: number;
  seed: number;
  /** Steps between evaluations during training (micro: task metric + resumable checkpoint; hf, trl, llamafactory: SFT eval loss on validation examples); null: none. */
  eval_steps: number | null;
};

/** The micro trainer (CPU, tiny GPT): no precision, accumulation, checkpointing or DPO. */
export type MicroTrain = TrainCore & { framework: 'micro' };

export type LlmTrain = TrainCore & {
  framework: LlmFramework;
  gradient_accumulation_steps: number;
  gradient_checkpointing: boolean;
  precision: 'fp32' | 'bf16' | 'fp16';
  dpo_beta: number;
};

export type ResolvedTrain = MicroTrain | LlmTrain;

/** The defaults, per trainer family. The micro model is tiny (context 128), so its steps are big and short. */
export const TRAIN_DEFAULTS: { micro: Omit<MicroTrain, 'framework'>; llm: Omit<LlmTrain, 'framework'> } = {
  micro: {
    method: 'sft',
    finetuning: 'full',
    learning_rate: 1e-3,
    epochs: 1,
    max_steps: null,
    batch_size: 32,
    lora: { rank: 8, alpha: 16, dropout: 0, target: 'all' },
    warmup_ratio: 0,
    weight_decay: 0,
    lr_scheduler: 'cosine',
    max_seq_len: 96,
    seed: 0,
    eval_steps: null,
  },
  llm: {
    method: 'sft',
    finetuning: 'lora',
    learning_rate: 1e-4,
    epochs: 1,
    max_steps: null,
    batch_size: 4,
    gradient_accumulation_steps: 1,
    gradient_checkpointing: true,
    lora: { rank: 16, alpha: 32, dropout: 0.05, target: 'all' },
    warmup_ratio: 0.03,
    weight_decay: 0,
    lr_scheduler: 'cosine',
    max_seq_len: 2048,
    precision: 'bf16',
    dpo_beta: 0.1,
    seed: 0,
    eval_steps: null,
  },
};

const num = (v: Json | undefined, d: number): number => (typeof v === 'number' ? v : d);
const str = <T extends string>(v: Json | undefined, d: T): T => (typeof v === 'string' ? (v as T) : d);
const isLlmFramework = (f: string): f is LlmFramework => (LLM_FRAMEWORKS as readonly string[]).includes(f);

function core(train: JsonObject, d: TrainCore): TrainCore {
  const lora = (isPlainObject(train.lora) ? train.lora : {}) as JsonObject;
  const maxSteps = train.max_steps;
  return {
    method: str(train.method, d.method),
    finetuning: str(train.finetuning, d.finetuning),
    learning_rate: num(train.learning_rate, d.learning_rate),
    epochs: num(train.epochs, d.epochs),
    max_steps: typeof maxSteps === 'number' ? maxSteps : d.max_steps,
    batch_size: num(train.batch_size, d.batch_size),
    lora: { rank: num(lora.rank, d.lora.rank), alpha: num(lora.alpha, d.lora.alpha), dropout: num(lora.dropout, d.lora.dropout), target: str(lora.target, d.lora.target) },
    warmup_ratio: num(train.warmup_ratio, d.warmup_ratio),
    weight_decay: num(train.weight_decay, d.weight_decay),
    lr_scheduler: str(train.lr_scheduler, d.lr_scheduler),
    max_seq_len: num(train.max_seq_len, d.max_seq_len),
    seed: num(train.seed, d.seed),
    eval_steps: typeof train.eval_steps === 'number' ? train.eval_steps : d.eval_steps,
  };
}

/**
 * train.yaml with every field set, by its framework's defaults (framework itself defaults to micro).
 * Total: an unknown framework resolves as micro here and is refused where the stages are planned.
 */
export function resolveTrain(train: JsonObject): ResolvedTrain {
  const framework = typeof train.framework === 'string' ? train.framework : 'micro';
  if (!isLlmFramework(framework)) return { framework: 'micro', ...core(train, TRAIN_DEFAULTS.micro) };
  const d = TRAIN_DEFAULTS.llm;
  const { method, finetuning, learning_rate, epochs, max_steps, batch_size, lora, warmup_ratio, weight_decay, lr_scheduler, max_seq_len, seed, eval_steps } = core(train, d);
  // In the schema's order, so the rendered train.json reads like train.yaml.
  return {
    framework,
    method,
    finetuning,
    learning_rate,
    epochs,
    max_steps,
    batch_size,
    gradient_accumulation_steps: num(train.gradient_accumulation_steps, d.gradient_accumulation_steps),
    gradient_checkpointing: typeof train.gradient_checkpointing === 'boolean' ? train.gradient_checkpointing : d.gradient_checkpointing,
    lora,
    warmup_ratio,
    weight_decay,
    lr_scheduler,
    max_seq_len,
    precision: str(train.precision, d.precision),
    dpo_beta: num(train.dpo_beta, d.dpo_beta),
    seed,
    eval_steps,
  };
}

/** The resolved config of an LLM node; RenderError when its framework is not an LLM framework. */
export function readLlmTrain(train: JsonObject | ResolvedTrain): LlmTrain {
  const t = resolveTrain(train);
  if (t.framework === 'micro') {
    throw new RenderError(`train.framework must be one of ${LLM_FRAMEWORKS.join(', ')} for an LLM task, got ${JSON.stringify(train.framework)}`);
  }
  return t;
}
