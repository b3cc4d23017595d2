// The experiment folder, a public file format:
//   trex.yaml                 task spec
//   tree.jsonl                append-only event log (source of truth)
//   insights.md, guidance.md  distilled lessons; the user's steering notes
//   nodes/<id>/               plan.md, recipe.yaml, train.yaml, logs/, metrics.json, data_stats.json
//   cache/                    prepared data by recipe hash (not meant for commits)
import { existsSync, mkdirSync, readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { writeFileAtomic } from './store/atomicWrite';
import { EventLog } from './store/eventLog';
import type { NewTreeEvent, NodeOrigin, NodeStatus, TreeEvent, EdgeChange, FieldSetter } from './tree/events';
import { defaultSetter } from './tree/provenance';
import { ExperimentTree, isNodeId } from './tree/tree';
import { hashJson } from './spec/hash';
import type { NodeConfig } from './spec/configPaths';
import { loadYamlFile, parseAndValidate, SpecError } from './spec/validate';
import type { JsonObject, TaskSpec } from './spec/types';
import { resolveTrain } from './frameworks/trainConfig';
import { placeNodeFiles, writeNodeFiles, type NodeFile } from './proposalFiles';

export { writeFileAtomic };

export const SPEC_FILE = 'trex.yaml';
export const LOG_FILE = 'tree.jsonl';
export const INSIGHTS_FILE = 'insights.md';
export const GUIDANCE_FILE = 'guidance.md';
export const NODE_FILES = { plan: 'plan.md', recipe: 'recipe.yaml', train: 'train.yaml' } as const;

// What each file is, for a person opening it (the editor associates the schemas by file name).
const FILE_COMMENT = {
  recipe: '# Data recipe of this node: sources, mixing, filters, format. Schema: schemas/recipe.schema.json\n',
  train: '# Training config of this node: method, fine-tuning type, hyperparameters. Schema: schemas/train.schema.json\n',
};

export function loadSpec(dir: string): TaskSpec {
  return loadYamlFile<TaskSpec>(join(dir, SPEC_FILE), 'trex', SPEC_FILE);
}

/** Hash of everything that decides a node's outcome: dedupe key. */
export function configHash(spec: TaskSpec, config: NodeConfig): string {
  return hashJson({
    base_model: spec.base_model,
    task: spec.task as JsonObject,
    evaluation: spec.evaluation,
    recipe: config.recipe,
    train: trainIdentity(config.train),
  });
}

/**
 * What decides the trained model: evaluations and checkpoints during training (eval_steps) do not
 * change it (greedy decoding draws no random numbers), so configs differing only there are the same work.
 */
function trainIdentity(train: JsonObject): JsonObject {
  const { eval_steps: _evalSteps, ...rest } = normalizeTrain(train);
  void _evalSteps;
  return rest;
}

/** Hash of what decides the prepared data: data-cache key. */
export function recipeHash(spec: TaskSpec, recipe: JsonObject): string {
  return hashJson({ task: spec.task as JsonObject, evaluation: spec.evaluation, recipe });
}

/** train.yaml resolved (every default filled, by framework), so configs that mean the same thing hash the same. */
export function normalizeTrain(train: JsonObject): JsonObject {
  return resolveTrain(train);
}

export class Experiment {
  readonly dir: string;
  readonly spec: TaskSpec;
  readonly tree: ExperimentTree;
  private readonly log: EventLog<TreeEvent>;
  private listeners = new Set<(e: TreeEvent) => void>();
  readonly loadWarnings: string[] = [];

  readonly readOnly: boolean;

  private constructor(dir: string, spec: TaskSpec, readOnly: boolean) {
    this.dir = dir;
    this.spec = spec;
    this.readOnly = readOnly;
    this.log = new EventLog<TreeEvent>(join(dir, LOG_FILE));
    // Read-only (status, validate): never open the log for writing, never cut a torn tail (it may be
    // another process's write in progress), never append.
    const loaded = readOnly ? EventLog.read<TreeEvent>(this.log.path) : this.log.open();
    if (loaded.droppedTail) this.loadWarnings.push(`${LOG_FILE}: ignored a partial last line (interrupted write)`);
    for (const l of loaded.badLines) this.loadWarnings.push(`${LOG_FILE}:${l}: not a valid JSON event, ignored`);
    this.tree = ExperimentTree.fromEvents(loaded.events, (i, reason) => this.loadWarnings.push(`${LOG_FILE}:${loaded.lines[i]}: ${reason}, ignored`));
  }

  /** Opens an experiment folder; validates trex.yaml (throws SpecError with file and line). */
  static open(dirPath: string, options: { readOnly?: boolean } = {}): Experiment {
    const dir = resolve(dirPath);
    if (!existsSync(join(dir, SPEC_FILE))) {
      throw new SpecError([{ file: join(dirPath, SPEC_FILE), line: 1, column: 1, field: '', message: 'no trex.yaml here: not an experiment folder (create one with `trex init`)' }]);
    }
    const spec = loadSpec(dir);
    const exp = new Experiment(dir, spec, options.readOnly === true);
    if (!exp.readOnly && exp.tree.nodes.size === 0 && exp.tree.lastSeq < 0) {
      exp.emit({ type: 'experiment_created', name: spec.name, metric: spec.metric.name, goal: spec.metric.goal });
    }
    return exp;
  }

  close(): void {
    this.log.close();
  }

  emit(event: NewTreeEvent): TreeEvent {
    if (this.readOnly) throw new Error(`${LOG_FILE} is open read-only`);
    const full = this.log.append({ ...event, t: Date.now() } as Omit<TreeEvent, 'seq'>);
    this.tree.apply(full);
    for (const l of this.listeners) l(full);
    return full;
  }

  onEvent(listener: (e: TreeEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  nodeDir(id: string): string {
    // Defence in depth: an id is only ever a node id, never a path.
    if (!isNodeId(id)) throw new Error(`invalid node id ${JSON.stringify(id)}`);
    return join(this.dir, 'nodes', id);
  }

  nodePath(id: string, ...parts: string[]): string {
    return join(this.nodeDir(id), ...parts);
  }

  /** Reads and validates a node's recipe.yaml and train.yaml as the user may have edited them. */
  readNodeConfig(id: string): NodeConfig {
    const recipe = loadYamlFile<JsonObject>(this.nodePath(id, NODE_FILES.recipe), 'recipe', `nodes/${id}/${NODE_FILES.recipe}`);
    const train = loadYamlFile<JsonObject>(this.nodePath(id, NODE_FILES.train), 'train', `nodes/${id}/${NODE_FILES.train}`);
    return { recipe, train };
  }

  nextNodeId(): string {
    // Ids are dense and ordered; count folders too so a crash between mkdir and the event never reuses one.
    let max = -1;
    for (const id of this.tree.nodes.keys()) max = Math.max(max, parseInt(id.slice(1), 10));
    const nodesDir = join(this.dir, 'nodes');
    if (existsSync(nodesDir)) {
      for (const name of readdirSync(nodesDir)) if (/^n\d+$/.test(name)) max = Math.max(max, parseInt(name.slice(1), 10));
    }
    return `n${String(max + 1).padStart(4, '0')}`;
  }

  /** Writes the node's files first, then records it: a crash in between leaves an unused folder, never a node without files. */
  createNode(args: {
    parent: string | null;
    origin: NodeOrigin;
    title: string;
    plan: string;
    config: NodeConfig;
    changes: EdgeChange[];
    status?: NodeStatus;
    proposer?: string;
    /** Who set the changed fields; default from origin and proposer. */
    by?: FieldSetter;
    /** Data scripts written into the new node's folder; script steps naming them point there. */
    files?: readonly NodeFile[];
  }): string {
    const id = this.nextNodeId();
    const dir = this.nodeDir(id);
    mkdirSync(dir, { recursive: true });
    const { config, changes } = placeNodeFiles(id, args.files ?? [], args.config, args.changes);
    writeNodeFiles(dir, args.files ?? []);
    this.writeNodeFiles(id, args.plan, config);
    this.emit({
      type: 'node_created',
      id,
      parent: args.parent,
      origin: args.origin,
      title: args.title,
      changes: changes.map((c) => ({ ...c, by: c.by ?? args.by ?? defaultSetter(args.origin, args.proposer) })),
      configHash: configHash(this.spec, config),
      recipeHash: recipeHash(this.spec, config.recipe),
      status: args.status ?? 'pending',
      proposer: args.proposer,
    });
    return id;
  }

  writeNodeFiles(id: string, plan: string, config: NodeConfig): void {
    writeFileAtomic(this.nodePath(id, NODE_FILES.plan), plan);
    writeFileAtomic(this.nodePath(id, NODE_FILES.recipe), FILE_COMMENT.recipe + stringify(config.recipe));
    writeFileAtomic(this.nodePath(id, NODE_FILES.train), FILE_COMMENT.train + stringify(config.train));
  }

  readText(rel: string): string | undefined {
    const p = join(this.dir, rel);
    return existsSync(p) ? readFileSync(p, 'utf8') : undefined;
  }
}

/** Creates a new experiment folder from a spec file's text (already validated by the caller or here). */
export function initExperiment(dir: string, specText: string, specFileName = SPEC_FILE): void {
  const target = resolve(dir);
  if (existsSync(join(target, SPEC_FILE))) throw new Error(`${join(dir, SPEC_FILE)} already exists; not overwriting an experiment`);
  parseAndValidate<TaskSpec>(specText, 'trex', specFileName);
  mkdirSync(join(target, 'nodes'), { recursive: true });
  writeFileSync(join(target, SPEC_FILE), specText);
  writeFileSync(join(target, '.gitignore'), '# prepared data, checkpoints and job state: large or machine-specific\ncache/\nnodes/*/ckpt/\nnodes/*/run/\n.trex/\n');
  writeFileSync(join(target, GUIDANCE_FILE), '# Guidance\n\nWrite notes here to steer the search (ideas to try, things to avoid). They are read at every proposal.\n');
}
