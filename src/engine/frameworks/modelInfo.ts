// The base model's size and family, for the memory estimate and the chat template name.
// Sizes come from task.model_params_b, else from the model id ("Qwen/Qwen3-1.7B" -> 1.7B).
import type { Json } from '../spec/types';
import { RenderError } from './types';

/** Reserved base_model name: the trainer resolves it to its locally built tiny Llama (hf_models.py). */
export const TINY_MODEL = 'trex:tiny-llama';
const TINY_MODEL_PARAMS_B = 0.0002;

export interface ModelInfo {
  paramsB: number;
  hidden: number;
  layers: number;
  vocab: number;
  family: string;
  /** LLaMA-Factory `template` for this family. */
  llamafactoryTemplate: string;
}

interface Family {
  match: RegExp;
  name: string;
  vocab: number;
  template: string;
}

// Order matters: the first match wins (qwen3 before qwen).
const FAMILIES: Family[] = [
  // The tiny Llama the trainer builds locally (trainer/trex_llm/tiny_model.py, ChatML, ~0.2M params).
  { match: new RegExp(`^${TINY_MODEL}$`), name: 'tiny-llama', vocab: 600, template: 'chatml' },
  // Hybrid Qwen3: `qwen3` with enable_thinking false (the llamafactory renderer adds it), which
  // puts the empty think block the evaluator's enable_thinking=False prompt has; `qwen3_nothink`
  // is plain ChatML on LLaMA-Factory >= 0.9.4 (absent before), so train and eval prompts differed.
  { match: /qwen3/i, name: 'qwen3', vocab: 151_936, template: 'qwen3' },
  { match: /qwen/i, name: 'qwen', vocab: 151_936, template: 'qwen' },
  { match: /llama-?3/i, name: 'llama3', vocab: 128_256, template: 'llama3' },
  { match: /llama/i, name: 'llama', vocab: 32_000, template: 'llama2' },
  // Gemma 2/3/4 and Phi-4 each have their own LLaMA-Factory template (0.9.5 data/template.py); the
  // generic `gemma` / `phi` ones differ in stop words and turn markers.
  { match: /gemma-?4/i, name: 'gemma4', vocab: 262_144, template: 'gemma4' },
  { match: /gemma-?3n/i, name: 'gemma3n', vocab: 262_400, template: 'gemma3n' },
  { match: /gemma-?3/i, name: 'gemma3', vocab: 262_144, template: 'gemma3' },
  { match: /gemma-?2/i, name: 'gemma2', vocab: 256_000, template: 'gemma2' },
  { match: /gemma/i, name: 'gemma', vocab: 256_000, template: 'gemma' },
  { match: /mistral|mixtral/i, name: 'mistral', vocab: 32_768, template: 'mistral' },
  { match: /phi-?4-?mini/i, name: 'phi4_mini', vocab: 200_064, template: 'phi4_mini' },
  { match: /phi-?4/i, name: 'phi4', vocab: 100_352, template: 'phi4' },
  { match: /phi-?3-?small/i, name: 'phi_small', vocab: 100_352, template: 'phi_small' },
  { match: /phi/i, name: 'phi', vocab: 32_064, template: 'phi' },
];

/** "Qwen3-1.7B" -> 1.7, "Mixtral-8x7B" -> 56, "SmolLM-360M" -> 0.36; undefined when the id names no size. */
export function paramsFromName(model: string): number | undefined {
  const name = model.split('/').pop() ?? model;
  const moe = /(\d+)x(\d+(?:\.\d+)?)([bm])(?![a-z])/i.exec(name);
  if (moe) return (Number(moe[1]) * Number(moe[2])) / (moe[3].toLowerCase() === 'm' ? 1000 : 1);
  const all = [...name.matchAll(/(\d+(?:\.\d+)?)([bm])(?![a-z])/gi)];
  const last = all.pop();
  if (!last) return undefined;
  return Number(last[1]) / (last[2].toLowerCase() === 'm' ? 1000 : 1);
}

export function modelInfo(baseModel: string, task: { [key: string]: Json | undefined }): ModelInfo {
  const declared = task.model_params_b;
  const paramsB = typeof declared === 'number' ? declared : baseModel === TINY_MODEL ? TINY_MODEL_PARAMS_B : paramsFromName(baseModel);
  if (!paramsB || paramsB <= 0) {
    throw new RenderError(`cannot tell the size of base model '${baseModel}' for the GPU memory estimate; set task.model_params_b in trex.yaml (billions of parameters)`);
  }
  const family = FAMILIES.find((f) => f.match.test(baseModel));
  const p = paramsB * 1e9;
  // Decoder-only shapes follow params ≈ 12·layers·hidden² with layers ≈ hidden/72.
  const hidden = Math.max(64, Math.round(Math.cbrt(p * 6) / 64) * 64);
  const layers = Math.max(1, Math.round(p / (12 * hidden * hidden)));
  return {
    paramsB,
    hidden,
    layers,
    vocab: typeof task.vocab_size === 'number' ? task.vocab_size : (family?.vocab ?? 32_000),
    family: family?.name ?? 'unknown',
    llamafactoryTemplate: typeof task.llamafactory_template === 'string' ? task.llamafactory_template : (family?.template ?? 'default'),
  };
}
