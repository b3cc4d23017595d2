// The evaluate stage of an LLM node: the built-in evaluator (generation + metrics, optionally a
// custom scoring script) or lm-evaluation-harness, whose command is rendered here and whose
// results JSON the runner converts into metrics.json.
import type { Json, JsonObject } from '../spec/types';
import { isPlainObject } from '../util/isPlainObject';
import { localModelInputs, nodePaths } from './render';
import type { LlmTrain } from './trainConfig';
import { RenderError, type StageContext, type StagePlan } from './types';

const strings = (v: Json | undefined): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
const asObject = (v: Json | undefined): JsonObject => (isPlainObject(v) ? v : {});

/** lm_eval model_args: the base plus the adapter for LoRA/QLoRA, else the fine-tuned model itself. */
export function lmEvalModelArgs(baseModel: string, ckpt: string, t: LlmTrain): string {
  const dtype = t.precision === 'fp32' ? 'float32' : t.precision === 'fp16' ? 'float16' : 'bfloat16';
  return t.finetuning === 'full' ? `pretrained=${ckpt},dtype=${dtype}` : `pretrained=${baseModel},peft=${ckpt},dtype=${dtype}`;
}

/** evaluation.lm_eval.include_path: an experiment-relative folder of custom task YAMLs (and their data). */
export function lmEvalIncludePath(ctx: StageContext): string | undefined {
  const value = asObject(ctx.spec.evaluation.lm_eval).include_path;
  if (value === undefined) return undefined;
  const path = typeof value === 'string' ? value.replace(/^\.\//, '').replace(/\/+$/, '') : '';
  // The folder travels to the training machine with the stage, so it must stay inside the experiment.
  if (!path || path.startsWith('/') || /^[a-z]+:\/\//i.test(path) || path.split('/').includes('..')) {
    throw new RenderError(`evaluation.lm_eval.include_path must be a folder inside the experiment, got ${JSON.stringify(value)}`);
  }
  return path;
}

export function lmEvalCommand(ctx: StageContext, t: LlmTrain): string[] {
  const paths = nodePaths(ctx);
  const cfg = asObject(ctx.spec.evaluation.lm_eval);
  const tasks = [...new Set([...strings(cfg.tasks), ...strings(cfg.test_tasks)])];
  if (tasks.length === 0) throw new RenderError('evaluation.kind lm_eval needs evaluation.lm_eval.tasks (lm-eval task names)');
  const cmd = ['{python}', '-m', 'lm_eval', '--model', 'hf', '--model_args', lmEvalModelArgs(ctx.spec.base_model, paths.ckpt, t), '--tasks', tasks.join(','), '--output_path', `${paths.ckpt}/lm_eval`, '--log_samples', '--batch_size', 'auto'];
  const includePath = lmEvalIncludePath(ctx);
  if (includePath) cmd.push('--include_path', includePath);
  if (typeof cfg.num_fewshot === 'number') cmd.push('--num_fewshot', String(cfg.num_fewshot));
  if (cfg.apply_chat_template === true) cmd.push('--apply_chat_template');
  if (typeof cfg.limit === 'number') cmd.push('--limit', String(cfg.limit));
  return cmd;
}

export function renderEvaluate(ctx: StageContext, t: LlmTrain): StagePlan {
  const paths = nodePaths(ctx);
  const outputs = [paths.metrics, paths.predictions];
  const kind = ctx.spec.evaluation.kind ?? 'builtin';
  if (kind === 'lm_eval') {
    const argv = ['{python}', '{runner}/trex_llm.py', 'lm-eval', '--task', paths.taskJson, '--results', `${paths.ckpt}/lm_eval`, '--out', paths.metrics, '--predictions', paths.predictions, '--', ...lmEvalCommand(ctx, t)];
    const includePath = lmEvalIncludePath(ctx);
    return { argv, inputs: [paths.taskJson, ...(includePath ? [includePath] : []), ...localModelInputs(ctx.spec.base_model)], produced: [paths.ckpt], outputs, env: {} };
  }
  if (kind !== 'builtin' && kind !== 'script') throw new RenderError(`evaluation.kind must be builtin, script or lm_eval, got ${JSON.stringify(kind)}`);
  const scriptFiles = strings(asObject(ctx.spec.evaluation.script).files);
  const argv = ['{python}', '{runner}/trex_llm.py', 'evaluate', '--task', paths.taskJson, '--ckpt', paths.ckpt, '--data', ctx.dataDir, '--out', paths.metrics, '--predictions', paths.predictions];
  return { argv, inputs: [paths.taskJson, ...scriptFiles, ...localModelInputs(ctx.spec.base_model)], produced: [ctx.dataDir, paths.ckpt], outputs, env: {} };
}
