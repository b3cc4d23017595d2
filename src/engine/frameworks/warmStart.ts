// Warm start: a child node continues its parent's trained checkpoint instead of training from the
// base model. It is offered only when the child's config differs from its parent's in nothing
// but a longer schedule (warmStartTail): a larger train.epochs (with no max_steps, which would
// override it) or a larger train.max_steps. Same recipe (so the same prepared data), framework,
// method, finetuning, LoRA shape and every other setting. The child then trains just the extra
// epochs or steps on what the parent learned; its learning-rate schedule (warmup, decay) starts
// afresh over them. Which checkpoints can be continued depends on the framework:
// - micro: the parent's model.pt.
// - hf, trl, llamafactory with lora/qlora: the parent's LoRA adapter, loaded trainable onto the
//   base model. DPO's reference stays the base model (adapters off), as in the parent's run.
// - full fine-tuning: never. The checkpoint would have to replace the base model, and DPO's
//   reference would then be the parent instead of the base: another objective.
import type { Json, JsonObject } from '../spec/types';
import { RenderError, type StageContext, type WarmStart } from './types';

/**
 * The file in a parent's checkpoint folder that shows the checkpoint can be continued by a child
 * with this (normalized) train config, or undefined when the config never warm-starts.
 */
export function warmStartFile(train: JsonObject): string | undefined {
  const framework = train.framework ?? 'micro';
  if (framework === 'micro') return 'model.pt';
  return train.finetuning === 'lora' || train.finetuning === 'qlora' ? 'adapter_model.safetensors' : undefined;
}

/** What a warm-started child trains: the extra epochs or steps of its config over its parent's. */
export interface WarmStartTail {
  key: 'epochs' | 'max_steps';
  extra: number;
}

/**
 * The schedule tail a child trains on top of its parent's checkpoint, given the differences
 * between their normalized configs; undefined when anything else differs.
 */
export function warmStartTail(diff: readonly { path: string; from: Json | undefined; to: Json | undefined }[], child: JsonObject): WarmStartTail | undefined {
  if (diff.length !== 1) return undefined;
  const { path, from, to } = diff[0];
  if (typeof from !== 'number' || typeof to !== 'number' || to <= from) return undefined;
  if (path === 'train.max_steps') return { key: 'max_steps', extra: to - from };
  if (path === 'train.epochs' && typeof child.max_steps !== 'number') return { key: 'epochs', extra: to - from };
  return undefined;
}

/** The warm start the context asks for, checked against the rule above. */
export function planWarmStart(ctx: StageContext): WarmStart | undefined {
  if (!ctx.warmFrom) return undefined;
  if (!warmStartFile(ctx.train)) throw new RenderError(`train.finetuning ${String(ctx.train.finetuning)} cannot continue ${ctx.warmFrom}'s checkpoint (only micro and LoRA/QLoRA adapters warm-start)`);
  return { from: ctx.warmFrom, checkpoint: `nodes/${ctx.warmFrom}/ckpt` };
}

/** What the train log and the rendered config say about a warm start. */
export function warmStartNote(w: WarmStart): string {
  return `warm start: continues ${w.from}'s trained checkpoint (${w.checkpoint}); this node trains only the extra epochs or steps`;
}
