// Types of the experiment folder's files. The JSON Schemas in /schemas are the contract;
// these types mirror them for the engine's own use after validation.

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** llm-uct: UCT shortlists, the LLM Researcher picks (search/llmUct.ts); off by default. */
export type PolicyName = 'uct' | 'greedy' | 'random' | 'sequential' | 'llm-uct';
export const POLICIES: readonly PolicyName[] = ['uct', 'greedy', 'random', 'sequential', 'llm-uct'];

export interface RecipeSource {
  name: string;
  kind: 'generator' | 'hf' | 'file' | 'synthetic';
  generator?: string;
  dataset?: string;
  path?: string;
  num_examples?: number;
  weight?: number;
  params?: JsonObject;
  [key: string]: Json | undefined;
}

export interface Recipe {
  sources: RecipeSource[];
  [key: string]: Json | RecipeSource[] | undefined;
}

/** train.yaml `framework`: the micro trainer or one of the LLM frameworks (train.schema.json's enum). */
export const LLM_FRAMEWORKS = ['hf', 'llamafactory', 'trl'] as const;
export type LlmFramework = (typeof LLM_FRAMEWORKS)[number];
export type FrameworkName = 'micro' | LlmFramework;

export interface TrainConfig {
  framework?: FrameworkName;
  learning_rate: number;
  epochs?: number;
  max_steps?: number | null;
  [key: string]: Json | undefined;
}

export interface SearchKnob {
  path: string;
  values?: Json[];
  range?: [number, number];
  scale?: 'linear' | 'log';
  steps?: number;
  type?: 'int' | 'float';
}

export interface ReuseSettings {
  dedupe: boolean;
  data_cache: boolean;
  warm_start: boolean;
}

/** `search.early_stopping`: ASHA-style rungs (src/engine/search/rungs.ts). */
export interface EarlyStoppingSettings {
  enabled: boolean;
  rungs: number;
  reduction_factor: number;
  min_steps: number;
}

export interface SearchSettings {
  policy: PolicyName;
  exploration: number;
  children_per_expansion: number;
  parallel: number;
  seed: number;
  widening: { k: number; alpha: number };
  reuse: ReuseSettings;
  approval: boolean;
  /** Task-defining config paths no proposal may change. */
  frozen: string[];
  /** Seeds each finalist is measured over at the end (1: no re-runs); see search/finalPick.ts. */
  final_seeds: number;
  early_stopping: EarlyStoppingSettings;
}

export interface Budget {
  max_runs?: number;
  max_compute_hours?: number;
  max_llm_cost_usd?: number;
}

/** `tracking:` in trex.yaml (schemas/trex.schema.json says what each field means). */
export interface TrackingSpec {
  mlflow?: { tracking_uri: string; experiment?: string };
  wandb?: { project?: string; entity?: string; mode?: 'online' | 'offline'; dir?: string };
  /** framework_logs: the frameworks' own report_to tensorboard as well, into nodes/<id>/run/tensorboard. */
  tensorboard?: { log_dir?: string; framework_logs?: boolean };
}

export interface TaskSpec {
  name: string;
  objective: string;
  base_model: string;
  task: { kind: 'micro' | 'llm'; generator?: string; [key: string]: Json | undefined };
  metric: { name: string; goal: 'maximize' | 'minimize' };
  evaluation: JsonObject;
  data_sources?: JsonObject[];
  compute?: { backend?: string; python?: string; remote_dir?: string; [key: string]: Json | undefined };
  budget?: Budget;
  search?: Partial<Omit<SearchSettings, 'widening' | 'reuse' | 'early_stopping'>> & {
    widening?: Partial<SearchSettings['widening']>;
    reuse?: Partial<ReuseSettings>;
    early_stopping?: Partial<EarlyStoppingSettings>;
  };
  proposer?: 'offline' | 'llm';
  /** Where model-proposed data sources may come from besides data/ (src/engine/dataPolicy.ts). */
  data_policy?: { allow_paths?: string[]; allow_hosts?: string[] };
  /** Experiment trackers every finished node is logged to (src/engine/tracking). */
  tracking?: TrackingSpec;
  baseline: { recipe: Recipe; train: TrainConfig };
  search_space: SearchKnob[];
}

/** Search settings with every default filled in. */
export function searchSettings(spec: TaskSpec): SearchSettings {
  const s = spec.search ?? {};
  return {
    policy: s.policy ?? 'uct',
    exploration: s.exploration ?? 0.25,
    children_per_expansion: s.children_per_expansion ?? 3,
    parallel: s.parallel ?? 1,
    seed: s.seed ?? 0,
    widening: { k: s.widening?.k ?? 0.5, alpha: s.widening?.alpha ?? 0.5 },
    reuse: {
      dedupe: s.reuse?.dedupe ?? true,
      data_cache: s.reuse?.data_cache ?? true,
      warm_start: s.reuse?.warm_start ?? true,
    },
    approval: s.approval ?? false,
    frozen: s.frozen ?? [],
    final_seeds: s.final_seeds ?? 3,
    early_stopping: {
      enabled: s.early_stopping?.enabled ?? false,
      rungs: s.early_stopping?.rungs ?? 3,
      reduction_factor: s.early_stopping?.reduction_factor ?? 3,
      min_steps: s.early_stopping?.min_steps ?? 20,
    },
  };
}
