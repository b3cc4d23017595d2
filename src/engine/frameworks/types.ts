// What rendering a node for a training framework produces: the three stage commands the
// executor runs (argv with {python} {runner} {cache} placeholders, resolved by the backend) and
// the config files they read, all as experiment-relative paths.
import type { FrameworkName, JsonObject, TaskSpec } from '../spec/types';
import type { ResolvedTrain } from './trainConfig';

export { LLM_FRAMEWORKS, type FrameworkName, type LlmFramework } from '../spec/types';

export interface StagePlan {
  argv: string[];
  /**
   * Every experiment-relative file or folder the stage reads that is made on this machine
   * (task.json, rendered configs, local data files, a local base model). Remote backends upload
   * exactly these before the stage starts: a local file the command reads must be listed here.
   */
  inputs: string[];
  /**
   * What the stage reads that earlier stages made where the stages run: the prepared data, this
   * node's checkpoint, the parent's checkpoint a warm start continues. Never uploaded.
   */
  produced: string[];
  /** Experiment-relative files the stage writes that come back after it ends. */
  outputs: string[];
  /** Extra environment on top of the executor's own. */
  env: Record<string, string>;
}

/** A framework's train stage as its renderer writes it; the prepared data and a warm start's checkpoint are added by planNodeStages. */
export type TrainCommand = Omit<StagePlan, 'produced'>;

export interface RenderedFile {
  /** Experiment-relative path. */
  path: string;
  content: string;
}

export interface NodeStages {
  framework: FrameworkName;
  files: RenderedFile[];
  prepare: StagePlan;
  train: StagePlan;
  evaluate: StagePlan;
  /** What rendering changed or wants said (memory adaptation, warm start); also printed in the train log. */
  notes: string[];
  /** The parent checkpoint the train stage continues (also in train.produced), when it does. */
  warmStart?: WarmStart;
}

export interface WarmStart {
  /** The parent node. */
  from: string;
  /** Its checkpoint folder, experiment-relative. */
  checkpoint: string;
}

/** Where a node's stages read and write, and what they run. */
export interface StageContext {
  nodeId: string;
  /** nodes/<id>/run: task.json and recipe.json are already there; train.json is rendered. */
  runDir: string;
  /** Prepared data: cache/data/<recipe hash> or nodes/<id>/data. */
  dataDir: string;
  spec: TaskSpec;
  recipe: JsonObject;
  /** train.yaml resolved (resolveTrain); rendered as <runDir>/train.json. */
  train: ResolvedTrain;
  /** Parent node whose checkpoint the train stage continues (the executor checked canWarmStart). */
  warmFrom?: string;
  /** Continue this node's own training checkpoint saved at this step (an evaluation during training) after an early stop. */
  resumeStep?: number;
}

/** A node config the framework cannot run, with the reason the node fails with (stage 'setup'). */
export class RenderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RenderError';
  }
}
