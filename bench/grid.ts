// The exhaustive grid over a task's declared search space: the oracle that search efficiency is
// normalized against. Every configuration really trains (through the engine, data cache on), once;
// the table is cached by the spec's hash.
import { existsSync, mkdirSync, readFileSync, writeFileSync, cpSync } from 'node:fs';
import { join } from 'node:path';
import {
  configHash,
  examplesDir,
  Experiment,
  initExperiment,
  knobValues,
  LocalBackend,
  packageRoot,
  runnerDir,
  Search,
  setPath,
  type NodeConfig,
  type Proposer,
  type TaskSpec,
} from '../src/engine';
import { hashJson } from '../src/engine/spec/hash';
import { parseProgressLine } from '../src/engine/executor/progress';
import type { JsonObject } from '../src/engine/spec/types';

export interface GridEntry {
  hash: string;
  config: NodeConfig;
  score: number;
  testScore: number;
  prepareMs: number;
  trainMs: number;
  evaluateMs: number;
  /** Evaluations during training (when the grid's train config sets eval_steps), in step order. */
  steps?: IntermediateEval[];
  /** The training run's last step: a run stopped at step s cost s / totalSteps of trainMs. */
  totalSteps?: number;
}

export interface IntermediateEval {
  step: number;
  metric: string;
  value: number;
}

export interface GridTable {
  task: string;
  specHash: string;
  runs: number;
  wallMs: number;
  entries: GridEntry[];
}

export function gridConfigs(spec: TaskSpec): NodeConfig[] {
  let configs: NodeConfig[] = [{ recipe: spec.baseline.recipe as unknown as JsonObject, train: spec.baseline.train as unknown as JsonObject }];
  for (const knob of spec.search_space) {
    const next: NodeConfig[] = [];
    for (const c of configs) for (const v of knobValues(knob)) next.push(setPath(c, knob.path, v));
    configs = next;
  }
  // The baseline may sit off the grid; keep it so the root's score is in the table.
  const base = { recipe: spec.baseline.recipe as unknown as JsonObject, train: spec.baseline.train as unknown as JsonObject };
  const seen = new Set<string>();
  return [base, ...configs].filter((c) => {
    const h = configHash(spec, c);
    if (seen.has(h)) return false;
    seen.add(h);
    return true;
  });
}

export function specHashOf(spec: TaskSpec): string {
  return hashJson({ task: spec.task as JsonObject, evaluation: spec.evaluation, base: spec.baseline as unknown as JsonObject, space: spec.search_space as unknown as JsonObject[], base_model: spec.base_model });
}

/** The evaluations during training and the last step, from a train log's progress lines. */
export function intermediateEvals(trainLog: string): Pick<GridEntry, 'steps' | 'totalSteps'> {
  const steps: IntermediateEval[] = [];
  let totalSteps: number | undefined;
  for (const line of trainLog.split('\n')) {
    const p = parseProgressLine(line);
    if (!p) continue;
    if (p.total !== undefined) totalSteps = p.total;
    if (p.step !== undefined && p.evalMetric !== undefined && p.evalValue !== undefined) steps.push({ step: p.step, metric: p.evalMetric, value: p.evalValue });
  }
  return steps.length > 0 && totalSteps !== undefined ? { steps, totalSteps } : {};
}

/** A grid task's folder: the benchmark's own grids (bench/grids/<name>) first, else the example of that name. */
export function gridTaskDir(name: string): string {
  const own = join(packageRoot(), 'bench', 'grids', name);
  return existsSync(join(own, 'trex.yaml')) ? own : join(examplesDir(), name);
}

const nothing: Proposer = { name: 'none', propose: async () => ({ proposals: [], dropped: [] }) };

export async function loadOrComputeGrid(exampleDir: string, cacheDir: string, workDir: string, log: (s: string) => void): Promise<GridTable>;
/** With `cachedOnly`, a grid that is not cached yet is null instead of trained. */
export async function loadOrComputeGrid(exampleDir: string, cacheDir: string, workDir: string, log: (s: string) => void, opts: { cachedOnly: true }): Promise<GridTable | null>;
export async function loadOrComputeGrid(exampleDir: string, cacheDir: string, workDir: string, log: (s: string) => void, opts: { cachedOnly?: boolean } = {}): Promise<GridTable | null> {
  const specText = readFileSync(join(exampleDir, 'trex.yaml'), 'utf8');
  const taskName = exampleDir.split('/').pop()!;
  const tmpSpecDir = join(workDir, `grid-${taskName}`);
  if (!existsSync(join(tmpSpecDir, 'trex.yaml'))) initExperiment(tmpSpecDir, specText);
  const exp = Experiment.open(tmpSpecDir);
  const spec = exp.spec;
  const specHash = specHashOf(spec);
  const cacheFile = join(cacheDir, `grid-${taskName}-${specHash}.json`);
  if (existsSync(cacheFile)) {
    exp.close();
    return JSON.parse(readFileSync(cacheFile, 'utf8')) as GridTable;
  }
  if (opts.cachedOnly) {
    exp.close();
    return null;
  }
  const configs = gridConfigs(spec);
  log(`  ${taskName}: running the exhaustive grid, ${configs.length} configurations (cached afterwards in ${cacheFile})`);
  const t0 = Date.now();
  if (exp.tree.nodes.size === 0) {
    const root = exp.createNode({ parent: null, origin: 'root', title: 'baseline', plan: '# grid\n', config: configs[0], changes: [] });
    for (const c of configs.slice(1)) exp.createNode({ parent: root, origin: 'proposer', title: 'grid', plan: '# grid\n', config: c, changes: [] });
  }
  const backend = new LocalBackend({ experimentDir: exp.dir, runnerDir: runnerDir(), capacity: 2 });
  let done = 0;
  const off = exp.onEvent((e) => {
    if (e.type === 'node_result' || e.type === 'node_failed') {
      done++;
      if (done % 10 === 0) log(`    ${done}/${configs.length}`);
    }
  });
  await new Search(exp, { backend, proposer: nothing, parallel: 2, threads: 1, budget: { max_runs: configs.length, max_compute_hours: Infinity }, settings: { final_seeds: 1, reuse: { dedupe: true, data_cache: true, warm_start: false } }, writeInsights: false }).run(new AbortController().signal);
  off();
  const entries: GridEntry[] = [];
  const prepareByRecipe = new Map<string, number>();
  for (const n of exp.tree.nodes.values()) if (n.stageMs.prepare) prepareByRecipe.set(n.recipeHash, n.stageMs.prepare);
  for (const n of exp.tree.nodes.values()) {
    if (n.status !== 'succeeded' || !n.result) {
      throw new Error(`grid node ${n.id} of ${taskName} did not succeed: ${n.failure?.reason ?? n.status}`);
    }
    entries.push({
      hash: n.configHash,
      config: exp.readNodeConfig(n.id),
      score: n.result.score,
      testScore: n.result.testScore ?? NaN,
      prepareMs: prepareByRecipe.get(n.recipeHash) ?? 0,
      trainMs: n.stageMs.train ?? 0,
      evaluateMs: n.stageMs.evaluate ?? 0,
      ...intermediateEvals(readFileSync(exp.nodePath(n.id, 'logs', 'train.log'), 'utf8')),
    });
  }
  exp.close();
  const table: GridTable = { task: taskName, specHash, runs: entries.length, wallMs: Date.now() - t0, entries };
  mkdirSync(cacheDir, { recursive: true });
  writeFileSync(cacheFile, JSON.stringify(table, null, 1));
  return table;
}

export function copyExample(exampleDir: string, to: string): void {
  cpSync(join(exampleDir, 'trex.yaml'), join(to, 'trex.yaml'));
}

/** Maps a utility (score, negated when minimizing) to [0,1] between the grid's baseline (first entry) and its best. */
export function utilityNormalizer(table: GridTable, goal: 'maximize' | 'minimize'): (utility: number) => number {
  const util = (s: number) => (goal === 'minimize' ? -s : s);
  const oracle = Math.max(...table.entries.map((e) => util(e.score)));
  const root = util(table.entries[0].score);
  return (u) => (oracle > root ? Math.max(0, (u - root) / (oracle - root)) : 1);
}
