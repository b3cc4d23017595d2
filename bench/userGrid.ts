// A user's own table for the search benchmark (`npm run bench -- --grid <dir>`): a folder with a
// trex.yaml (its search_space declares the knobs) and one *.jsonl file, one row per configuration
// that really ran, e.g. an exported past sweep. Row format (bench/README.md):
//   {"config": {"train.learning_rate": 0.001, ...} | {"recipe": {...}, "train": {...}},
//    "metrics": {"<metric.name>": 0.42, ...}, "test_metrics"?: {...}, "train_s"?: 120,
//    "steps"?: [{"step": 100, "metrics": {...}}, ...]}
// Dotted-path configs are applied onto the spec's baseline. Every configuration of the declared
// grid must have a row (the replay answers any of them); rows off the grid are ignored.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { configHash, Experiment, getPath, initExperiment, setPath, type Json, type NodeConfig, type TaskSpec } from '../src/engine';
import type { JsonObject } from '../src/engine/spec/types';
import { gridConfigs, specHashOf, type GridEntry, type GridTable } from './grid';

export interface StepMetrics {
  step: number;
  metrics: Record<string, number>;
}

export interface UserGrid {
  name: string;
  specText: string;
  table: GridTable;
  /** Rows whose configuration is not on the declared grid (ignored). */
  offGrid: number;
  /** Per-step metrics by configuration hash, for rows that have them (kept for early-stopping replay). */
  steps: Map<string, StepMetrics[]>;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function numberMap(v: unknown, where: string): Record<string, number> {
  if (!isObject(v)) throw new Error(`${where} must be an object of numbers`);
  for (const [k, x] of Object.entries(v)) if (typeof x !== 'number' || !Number.isFinite(x)) throw new Error(`${where}.${k} must be a finite number, got ${JSON.stringify(x)}`);
  return v as Record<string, number>;
}

function rowConfig(raw: unknown, base: NodeConfig, where: string): NodeConfig {
  if (!isObject(raw)) throw new Error(`${where}.config must be an object`);
  if (isObject(raw.recipe) && isObject(raw.train)) return { recipe: raw.recipe as JsonObject, train: raw.train as JsonObject };
  let config = base;
  for (const [path, value] of Object.entries(raw)) {
    if (!/^(recipe|train)\./.test(path)) throw new Error(`${where}.config: "${path}" is neither a recipe./train. path nor a full {recipe, train} config`);
    config = setPath(config, path, value as Json);
  }
  return config;
}

function parseSteps(v: unknown, where: string): StepMetrics[] {
  if (!Array.isArray(v)) throw new Error(`${where}.steps must be a list`);
  return v.map((s, i) => {
    if (!isObject(s) || typeof s.step !== 'number' || !Number.isInteger(s.step) || s.step < 0) throw new Error(`${where}.steps[${i}] needs a non-negative integer "step"`);
    return { step: s.step, metrics: numberMap(s.metrics, `${where}.steps[${i}].metrics`) };
  });
}

/**
 * The evaluations early stopping replays: the task metric when the steps carry it, else eval_loss,
 * else the first metric; `total_steps` says what share of train_s a run stopped at a step cost.
 */
function replayableSteps(steps: StepMetrics[], totalSteps: unknown, metric: string, where: string): Pick<GridEntry, 'steps' | 'totalSteps'> {
  if (steps.length === 0) return {};
  if (typeof totalSteps !== 'number' || !Number.isInteger(totalSteps) || totalSteps < 1) throw new Error(`${where}.total_steps must be a positive integer when the row has steps (the run's last step)`);
  const names = Object.keys(steps[0].metrics);
  const name = names.includes(metric) ? metric : names.includes('eval_loss') ? 'eval_loss' : names[0];
  if (name === undefined) throw new Error(`${where}.steps[0].metrics is empty`);
  return {
    totalSteps,
    steps: steps.map((s, i) => {
      const value = s.metrics[name];
      if (value === undefined) throw new Error(`${where}.steps[${i}].metrics has no "${name}" (every step needs the metric of the first)`);
      if (s.step > totalSteps) throw new Error(`${where}.steps[${i}].step ${s.step} is past total_steps ${totalSteps}`);
      return { step: s.step, metric: name, value };
    }),
  };
}

function readSpec(specText: string): TaskSpec {
  const dir = join(mkdtempSync(join(tmpdir(), 'trex-user-grid-')), 'exp');
  try {
    initExperiment(dir, specText);
    const exp = Experiment.open(dir);
    const spec = exp.spec;
    exp.close();
    return spec;
  } finally {
    rmSync(join(dir, '..'), { recursive: true, force: true });
  }
}

export function loadUserGrid(dir: string): UserGrid {
  const specText = readFileSync(join(dir, 'trex.yaml'), 'utf8');
  const spec = readSpec(specText);
  const tables = readdirSync(dir).filter((f) => f.endsWith('.jsonl'));
  if (tables.length !== 1) throw new Error(`${dir} must hold exactly one .jsonl table of {config, metrics} rows, found ${tables.length}`);
  const metric = spec.metric.name;
  const base: NodeConfig = { recipe: spec.baseline.recipe as unknown as JsonObject, train: spec.baseline.train as unknown as JsonObject };
  const byHash = new Map<string, GridEntry>();
  const steps = new Map<string, StepMetrics[]>();
  const lines = readFileSync(join(dir, tables[0]), 'utf8').split('\n');
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const where = `${tables[0]}:${i + 1}`;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch (e) {
      throw new Error(`${where}: not JSON (${(e as Error).message})`);
    }
    if (!isObject(row)) throw new Error(`${where}: a row must be an object`);
    const config = rowConfig(row.config, base, where);
    const metrics = numberMap(row.metrics, `${where}.metrics`);
    if (metrics[metric] === undefined) throw new Error(`${where}.metrics has no "${metric}" (the spec's metric.name)`);
    const test = row.test_metrics === undefined ? undefined : numberMap(row.test_metrics, `${where}.test_metrics`);
    const trainS = row.train_s === undefined ? 0 : row.train_s;
    if (typeof trainS !== 'number' || !(trainS >= 0)) throw new Error(`${where}.train_s must be a non-negative number of seconds`);
    const hash = configHash(spec, config);
    if (byHash.has(hash)) throw new Error(`${where}: the same configuration appears twice`);
    const entry: GridEntry = { hash, config, score: metrics[metric], testScore: test?.[metric] ?? NaN, prepareMs: 0, trainMs: trainS * 1000, evaluateMs: 0 };
    if (row.steps !== undefined) {
      const rowSteps = parseSteps(row.steps, where);
      steps.set(hash, rowSteps);
      Object.assign(entry, replayableSteps(rowSteps, row.total_steps, metric, where));
    }
    byHash.set(hash, entry);
  });
  const entries: GridEntry[] = [];
  const missing: string[] = [];
  for (const c of gridConfigs(spec)) {
    const e = byHash.get(configHash(spec, c));
    if (e) entries.push(e);
    else missing.push(JSON.stringify(spec.search_space.map((k) => getPath(c, k.path))));
  }
  if (missing.length > 0) {
    throw new Error(`${tables[0]} lacks ${missing.length} of the declared grid's configurations (the baseline counts), e.g. knob values ${missing.slice(0, 3).join(', ')}: the replay must be able to answer any configuration a policy proposes`);
  }
  const name = basename(dir);
  return { name, specText, table: { task: name, specHash: specHashOf(spec), runs: entries.length, wallMs: 0, entries }, offGrid: byHash.size - entries.length, steps };
}

