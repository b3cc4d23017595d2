// Optuna on the same replayed grids: the tool users would otherwise reach for. Runs the real
// `optuna` (bench venv, .ci/setup.sh bench) through bench/optuna_driver.py and returns curves
// normalized exactly as TREX's (baseline 0, grid oracle 1).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Experiment, getPath, initExperiment, knobValues, packageRoot, type Json, type TaskSpec } from '../src/engine';
import { hashJson } from '../src/engine/spec/hash';
import { metricGoal } from '../src/engine/search/rungs';
import { utilityNormalizer, type GridEntry, type GridTable } from './grid';

export const OPTUNA_SAMPLERS = ['tpe', 'tpe_startup4', 'random'] as const;
export type OptunaSampler = (typeof OPTUNA_SAMPLERS)[number];
export const OPTUNA_LABEL: Record<OptunaSampler, string> = { tpe: 'Optuna TPE (defaults)', tpe_startup4: 'Optuna TPE (4 random startup trials)', random: 'Optuna random' };

export function benchPython(): string {
  const py = process.env.TREX_BENCH_PYTHON ?? join(packageRoot(), '.venv-bench', 'bin', 'python');
  if (!existsSync(py)) throw new Error(`no Python with optuna at ${py}: run \`bash .ci/setup.sh bench\` (or set TREX_BENCH_PYTHON)`);
  return py;
}

interface DriverInput {
  spec: TaskSpec;
  knobs: { path: string; values: Json[] }[];
  valuesOf: (config: GridEntry['config']) => Json[];
  baseline: { values: Json[] | null; score: number };
}

/** The grid as the driver sees it: the declared knobs, each entry's values, the baseline. */
function driverInput(specText: string, table: GridTable): DriverInput {
  const dir = join(mkdtempSync(join(tmpdir(), 'trex-bench-optuna-')), 'exp');
  initExperiment(dir, specText);
  const exp = Experiment.open(dir);
  const spec = exp.spec;
  exp.close();
  rmSync(join(dir, '..'), { recursive: true, force: true });
  const knobs = spec.search_space.map((k) => ({ path: k.path, values: knobValues(k) }));
  const valuesOf = (config: GridEntry['config']): Json[] => knobs.map((k) => getPath(config, k.path) ?? null);
  const onGrid = (vs: Json[]) => vs.every((v, i) => knobs[i].values.some((c) => JSON.stringify(c) === JSON.stringify(v)));
  const baseValues = valuesOf(table.entries[0].config);
  return { spec, knobs, valuesOf, baseline: { values: onGrid(baseValues) ? baseValues : null, score: table.entries[0].score } };
}

export function runDriver(input: object, task: string): unknown {
  const driver = join(packageRoot(), 'bench', 'optuna_driver.py');
  const r = spawnSync(benchPython(), [driver], { input: JSON.stringify(input), encoding: 'utf8', maxBuffer: 64 << 20, env: { ...process.env, OMP_NUM_THREADS: '1' } });
  if (r.status !== 0) throw new Error(`optuna driver failed on ${task} (exit ${r.status}): ${(r.stderr ?? '').slice(-2000)}`);
  return JSON.parse(r.stdout) as unknown;
}

/** Normalized best-so-far after each run, per sampler and seed. */
export function optunaCurves(specText: string, table: GridTable, trials: number, seeds: number): Record<OptunaSampler, number[][]> {
  const { spec, knobs, valuesOf, baseline } = driverInput(specText, table);
  const input = {
    knobs,
    rows: table.entries.map((e) => ({ values: valuesOf(e.config), score: e.score })),
    baseline,
    goal: spec.metric.goal,
    trials,
    seeds,
    samplers: OPTUNA_SAMPLERS,
  };
  const raw = runDriver(input, table.task) as Record<OptunaSampler, number[][]>;
  const normalize = utilityNormalizer(table, spec.metric.goal);
  const utility = (score: number) => (spec.metric.goal === 'minimize' ? -score : score);
  const out = {} as Record<OptunaSampler, number[][]>;
  for (const s of OPTUNA_SAMPLERS) out[s] = raw[s].map((curve) => curve.map((score) => normalize(utility(score))));
  return out;
}

export const OPTUNA_PRUNERS = ['none', 'median', 'hyperband'] as const;
export type OptunaPruner = (typeof OPTUNA_PRUNERS)[number];

/**
 * Optuna under a compute budget, with and without its pruners, on a grid whose entries carry
 * their evaluations during training: per pruner and seed, (compute spent, normalized best) after
 * each run. Costs are the grid's measured stage times, as in TREX's replay.
 */
export function optunaComputeCurves(specText: string, table: GridTable, sampler: OptunaSampler, budgetMs: number, maxRuns: number, seeds: number): Record<OptunaPruner, { computeMs: number; best: number }[][]> {
  const { spec, knobs, valuesOf, baseline } = driverInput(specText, table);
  const goal = spec.metric.goal;
  // Intermediate values go to Optuna in the study's direction (a loss is flipped when the task maximizes).
  const signed = (metric: string, v: number) => (metricGoal(metric, spec.metric.name, goal) === goal ? v : -v);
  const input = {
    mode: 'compute',
    knobs,
    rows: table.entries.map((e) => ({
      values: valuesOf(e.config),
      score: e.score,
      recipe: hashJson(e.config.recipe),
      prepare_ms: e.prepareMs,
      train_ms: e.trainMs,
      cost_ms: e.trainMs + e.evaluateMs,
      total_steps: e.totalSteps ?? 1,
      steps: (e.steps ?? []).map((s) => [s.step, signed(s.metric, s.value)]),
    })),
    baseline,
    goal,
    budget_ms: budgetMs,
    max_runs: maxRuns,
    seeds,
    runs: OPTUNA_PRUNERS.map((pruner) => ({ sampler, pruner })),
  };
  const raw = runDriver(input, table.task) as Record<string, [number, number | null][][]>;
  const normalize = utilityNormalizer(table, goal);
  const utility = (score: number | null) => (score === null ? -Infinity : goal === 'minimize' ? -score : score);
  const out = {} as Record<OptunaPruner, { computeMs: number; best: number }[][]>;
  for (const p of OPTUNA_PRUNERS) out[p] = raw[`${sampler}/${p}`].map((pts) => pts.map(([computeMs, score]) => ({ computeMs, best: normalize(utility(score)) })));
  return out;
}
