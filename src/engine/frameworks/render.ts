// Small helpers shared by the renderers: stable YAML/JSON text and the node's standard paths.
import { posix } from 'node:path';
import { stringify } from 'yaml';
import type { LlmTrain } from './trainConfig';
import type { StageContext } from './types';

/**
 * YAML for Python readers (PyYAML is YAML 1.1): strings like `no` or `on` quoted so they do not
 * turn into booleans, exponents written `1.0e-7` so they do not stay strings; keys in insertion
 * order, no line folding (paths stay on one line), a comment header.
 */
export function yamlText(header: string[], doc: object): string {
  const comments = header.map((l) => `# ${l}`.trimEnd()).join('\n');
  const body = stringify(doc, { lineWidth: 0, version: '1.1' }).replace(/(?<=(?::|-) )(-?\d+)(e[-+]?\d+)$/gm, '$1.0$2');
  return `${comments}\n${body}`;
}

export function jsonText(doc: unknown): string {
  return `${JSON.stringify(doc, null, 2)}\n`;
}

export interface NodePaths {
  taskJson: string;
  recipeJson: string;
  ckpt: string;
  metrics: string;
  predictions: string;
  /** Folder for this framework's rendered files: nodes/<id>/run/<framework>. */
  frameworkDir: (framework: string) => string;
}

export function nodePaths(ctx: StageContext): NodePaths {
  const node = posix.dirname(ctx.runDir);
  return {
    taskJson: `${ctx.runDir}/task.json`,
    recipeJson: `${ctx.runDir}/recipe.json`,
    ckpt: `${node}/ckpt`,
    metrics: `${node}/metrics.json`,
    predictions: `${node}/predictions.jsonl`,
    frameworkDir: (framework) => `${ctx.runDir}/${framework}`,
  };
}

/** Where the frameworks' own TensorBoard event files go, inside a node folder (trex_tracking.py copies them from there). */
export const FRAMEWORK_TENSORBOARD_SUBDIR = 'run/tensorboard';

/**
 * The node's folder for the framework's own report_to tensorboard when trex.yaml asks for it
 * (tracking.tensorboard.framework_logs), else null: the train stage then reports to nothing.
 */
export function frameworkTensorboardDir(ctx: StageContext): string | null {
  return ctx.spec.tracking?.tensorboard?.framework_logs === true ? `${posix.dirname(ctx.runDir)}/${FRAMEWORK_TENSORBOARD_SUBDIR}` : null;
}

/** report_to for a framework config: tensorboard into frameworkTensorboardDir, or none. */
export function reportTo(ctx: StageContext): 'tensorboard' | 'none' {
  return frameworkTensorboardDir(ctx) ? 'tensorboard' : 'none';
}

/**
 * transformers (>= 5) takes the TensorBoard folder from $TENSORBOARD_LOGGING_DIR only (its
 * logging_dir argument is deprecated), for TRL and LLaMA-Factory as for the built-in script.
 */
export function tensorboardEnv(ctx: StageContext): Record<string, string> {
  const dir = frameworkTensorboardDir(ctx);
  return dir ? { TENSORBOARD_LOGGING_DIR: dir } : {};
}

/** The train stage's log files that come back from a remote host (LLaMA-Factory / HF names). */
export function trainerLogOutputs(ckpt: string): string[] {
  return ['trainer_log.jsonl', 'trainer_state.json', 'all_results.json', 'train_results.json'].map((f) => `${ckpt}/${f}`);
}

/** A LoRA/QLoRA run's adapter (small next to the model): it comes back from a remote host too. */
export function adapterOutputs(ckpt: string): string[] {
  return ['adapter_config.json', 'adapter_model.safetensors'].map((f) => `${ckpt}/${f}`);
}

/** A local base model ("./models/tiny") travels with the stage like any other input. */
export function localModelInputs(baseModel: string): string[] {
  return baseModel.startsWith('./') ? [posix.normalize(baseModel)] : [];
}

export function header(ctx: StageContext, what: string, notes: string[]): string[] {
  return [`${what}, rendered by TREX from nodes/${ctx.nodeId}/train.yaml; edit that file, not this one.`, ...notes.map((n) => `note: ${n}`)];
}

/**
 * Evaluation during training for TRL and LLaMA-Factory: the eval loss every `eval_steps` on the
 * validation examples the launcher writes to `<frameworkDir>/eval.jsonl` (trainer/trex_llm/launch.py),
 * or null. SFT only: the validation split has no rejected answers for a DPO loss.
 */
export interface DuringTraining {
  steps: number;
  /** The examples the framework evaluates on, as the launcher writes them. */
  rows: string;
  /** The launcher's options that write them. */
  launchArgs: string[];
}

export function evaluationDuringTraining(ctx: StageContext, t: LlmTrain, frameworkDir: string): DuringTraining | null {
  if (t.eval_steps === null || t.method !== 'sft') return null;
  const rows = `${frameworkDir}/eval.jsonl`;
  return { steps: t.eval_steps, rows, launchArgs: ['--eval-data', `${ctx.dataDir}/validation.jsonl`, '--eval-rows', rows] };
}
