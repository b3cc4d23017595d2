// Optuna on the same replayed grids: the tool users would otherwise reach for. Runs the real
// `optuna` (bench venv, .ci/setup.sh bench) through bench/optuna_driver.py and returns curves
// normalized exactly as TREX's (baseline 0, grid oracle 1).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Experiment, getPath, initExperiment, knobValues, packageRoot, type Json } from '../src/engine';
import { utilityNormalizer, type GridTable } from './grid';

export const OPTUNA_SAMPLERS = ['tpe', 'tpe_startup4', 'random'] as const;
export type OptunaSampler = (typeof OPTUNA_SAMPLERS)[number];
export const OPTUNA_LABEL: Record<OptunaSampler, string> = { tpe: 'Optuna TPE (defaults)', tpe_startup4: 'Optuna TPE (4 random startup trials)', random: 'Optuna random' };

export function benchPython(): string {
  const py = process.env.TREX_BENCH_PYTHON ?? join(packageRoot(), '.venv-bench', 'bin', 'python');
  if (!existsSync(py)) throw new Error(`no Python with optuna at ${py}: run \`bash .ci/setup.sh bench\` (or set TREX_BENCH_PYTHON)`);
  return py;
}

/** Normalized best-so-far after each run, per sampler and seed. */
export function optunaCurves(specText: string, table: GridTable, trials: number, seeds: number): Record<OptunaSampler, number[][]> {
  const dir = join(mkdtempSync(join(tmpdir(), 'trex-bench-optuna-')), 'exp');
  initExperiment(dir, specText);
  const exp = Experiment.open(dir);
  const spec = exp.spec;
  exp.close();
  rmSync(join(dir, '..'), { recursive: true, force: true });
  const knobs = spec.search_space.map((k) => ({ path: k.path, values: knobValues(k) }));
  const valuesOf = (config: GridTable['entries'][number]['config']): Json[] => knobs.map((k) => getPath(config, k.path) ?? null);
  const onGrid = (vs: Json[]) => vs.every((v, i) => knobs[i].values.some((c) => JSON.stringify(c) === JSON.stringify(v)));
  const base = table.entries[0];
  const baseValues = valuesOf(base.config);
  const input = {
    knobs,
    rows: table.entries.map((e) => ({ values: valuesOf(e.config), score: e.score })),
    baseline: { values: onGrid(baseValues) ? baseValues : null, score: base.score },
    goal: spec.metric.goal,
    trials,
    seeds,
    samplers: OPTUNA_SAMPLERS,
  };
  const driver = join(packageRoot(), 'bench', 'optuna_driver.py');
  const r = spawnSync(benchPython(), [driver], { input: JSON.stringify(input), encoding: 'utf8', maxBuffer: 64 << 20, env: { ...process.env, OMP_NUM_THREADS: '1' } });
  if (r.status !== 0) throw new Error(`optuna driver failed on ${table.task} (exit ${r.status}): ${(r.stderr ?? '').slice(-2000)}`);
  const raw = JSON.parse(r.stdout) as Record<OptunaSampler, number[][]>;
  const normalize = utilityNormalizer(table, spec.metric.goal);
  const utility = (score: number) => (spec.metric.goal === 'minimize' ? -score : score);
  const out = {} as Record<OptunaSampler, number[][]>;
  for (const s of OPTUNA_SAMPLERS) out[s] = raw[s].map((curve) => curve.map((score) => normalize(utility(score))));
  return out;
}
