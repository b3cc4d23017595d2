// What rendering a node for a training framework produces: the three stage commands the
// executor runs (argv with {python} {runner} {cache} placeholders, resolved by the backend) and
// the config files they read, all as experiment-relative paths.
import type { JsonObject, TaskSpec } from '../spec/types';
import type { ResolvedTrain } from './trainConfig';

export type FrameworkName = 'micro' | 'hf' | 'llamafactory' | 'trl';
export const LLM_FRAMEWORKS = ['hf', 'llamafactory', 'trl'] as const;
export type LlmFramework = (typeof LLM_FRAMEWORKS)[number];

export interface StagePlan {
  argv: string[];
  /** Experiment-relative files the stage reads (synced to remote hosts before it starts). */
  inputs: string[];
  /** Experiment-relative files the stage writes that come back after it ends. */
  outputs: string[];
  /** Extra environment on top of the executor's own. */
  env: Record<string, string>;
}

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
  /** What rendering changed or wants said (memory adaptation); also printed in the train log. */
  notes: string[];
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
  /** Parent checkpoint to continue from (micro only today). */
  warmFrom?: string;
}

/** A node config the framework cannot run, with the reason the node fails with (stage 'setup'). */
export class RenderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RenderError';
  }
}
