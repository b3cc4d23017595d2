// Search efficiency: each policy × seed searches each task with the offline proposer, replayed on
// the grid table (real results of every configuration). Scores are normalized between the
// baseline (0) and the grid's best (1).
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configHash, Experiment, initExperiment, OfflineProposer, POLICIES, Search, type PolicyName, type SearchSettings, type SelectionPolicy, type Proposer } from '../src/engine';
import { utilityNormalizer, type GridTable } from './grid';
import { mean, stdev, type Row } from './report';
import { tableBackend } from './tableBackend';
import { OPTUNA_LABEL, OPTUNA_SAMPLERS, optunaCurves } from './optuna';
import type { Series } from './plot';

export interface SearchTrace {
  policy: PolicyName;
  seed: number;
  /** Normalized best-so-far validation score after each training run. */
  curve: number[];
  pickTest: number;
  computeMs: number;
  /** After each training run (stopped early or not): compute spent so far and the normalized best. */
  points: { computeMs: number; best: number }[];
  stoppedEarly: number;
}

/** Replays write many small synced files: on a RAM disk when there is one (10× faster than a busy disk). */
function scratchDir(): string {
  return existsSync('/dev/shm') && process.env.TMPDIR === undefined ? '/dev/shm' : tmpdir();
}

export async function traceSearch(specText: string, table: GridTable, policy: PolicyName, seed: number, runs: number, settings: Partial<SearchSettings> = {}, selection?: SelectionPolicy, proposer: Proposer = new OfflineProposer(), computeBudgetMs?: number): Promise<SearchTrace> {
  const dir = join(mkdtempSync(join(scratchDir(), 'trex-bench-eff-')), 'exp');
  initExperiment(dir, specText);
  const exp = Experiment.open(dir);
  try {
    // Keyed by the configuration's hash as the engine computes it now: a cached table keeps the
    // hashes of the day it was trained, and the hash's definition may have changed since.
    const byHash = new Map(table.entries.map((e) => [configHash(exp.spec, e.config), e]));
    const backend = tableBackend(
      dir,
      (id) => {
        const e = byHash.get(exp.tree.get(id).configHash);
        if (!e) throw new Error(`config of ${id} is not on the grid of ${table.task}: the baseline must use values from the search space`);
        return e;
      },
      exp.spec.metric.name,
      // Early stopping needs the runs' evaluations during training.
      { steps: settings.early_stopping?.enabled === true },
    );
    const normalizeUtility = utilityNormalizer(table, exp.tree.goal);
    const utilities: number[] = [];
    const points: SearchTrace['points'] = [];
    const off = exp.onEvent((e) => {
      if (e.type === 'node_result' && !e.result.reusedFrom) utilities.push(exp.tree.utility(e.result.score));
      if (e.type === 'node_failed' || e.type === 'node_stopped_early') utilities.push(-Infinity);
      if ((e.type === 'node_result' && !e.result.reusedFrom) || e.type === 'node_failed' || e.type === 'node_stopped_early') {
        points.push({ computeMs: exp.tree.computeMsSpent(), best: normalizeUtility(Math.max(...utilities)) });
      }
    });
    await new Search(exp, { backend, proposer, policy, selection, seed, budget: { max_runs: runs, ...(computeBudgetMs !== undefined ? { max_compute_hours: computeBudgetMs / 3_600_000 } : {}) }, settings: { ...settings, final_seeds: 1, reuse: { dedupe: true, data_cache: true, warm_start: false } }, writeInsights: false }).run(new AbortController().signal);
    off();
    const curve: number[] = [];
    let best = -Infinity;
    for (let i = 0; i < runs; i++) {
      if (i < utilities.length) best = Math.max(best, utilities[i]);
      curve.push(normalizeUtility(best));
    }
    const pick = exp.tree.best();
    return { policy, seed, curve, pickTest: pick?.result?.testScore ?? NaN, computeMs: exp.tree.computeMsSpent(), points, stoppedEarly: [...exp.tree.nodes.values()].filter((n) => n.earlyStop).length };
  } finally {
    exp.close();
    rmSync(join(dir, '..'), { recursive: true, force: true });
  }
}

export interface EfficiencyResult {
  rows: Row[];
  charts: { name: string; title: string; series: Series[] }[];
  perPolicyAt16: Record<string, number>;
}

/** The grids UCT's small-budget settings were chosen on (bench/tuneSearch.ts); the rest are held out. */
export const TUNING_GRIDS = ['addition', 'dates'];
const SHORT_BUDGET = 8;

const fmt = (xs: number[]) => `${mean(xs).toFixed(3)} ± ${stdev(xs).toFixed(3)}`;

/**
 * Each TREX policy searches with a budget of 8 runs and, separately, of `runs` runs (a policy may
 * plan for its budget), per seed; Optuna's samplers run `runs` trials, read at 8 and at `runs`.
 */
export async function benchEfficiency(tasks: { name: string; specText: string; table: GridTable }[], seeds: number, runs: number, log: (s: string) => void = () => undefined): Promise<EfficiencyResult> {
  const withOptuna = true;
  const rows: Row[] = [];
  const charts: EfficiencyResult['charts'] = [];
  // method → task → [scores @8, scores @runs]
  const scores = new Map<string, Map<string, [number[], number[]]>>();
  const record = (method: string, task: string, at8: number[], atN: number[]) => {
    if (!scores.has(method)) scores.set(method, new Map());
    scores.get(method)!.set(task, [at8, atN]);
  };
  for (const task of tasks) {
    const series: Series[] = [];
    const oracle = Math.max(...task.table.entries.map((e) => e.score));
    const heldOut = TUNING_GRIDS.includes(task.name) ? 'tuning grid' : 'held out';
    rows.push({ section: 'efficiency', name: `${task.name}: grid oracle (validation)`, value: oracle, note: `${task.table.runs} runs, computed once and cached; ${heldOut}` });
    rows.push({ section: 'efficiency', name: `${task.name}: baseline (validation)`, value: task.table.entries[0].score });
    for (const policy of POLICIES) {
      const short: SearchTrace[] = [];
      const traces: SearchTrace[] = [];
      for (let s = 0; s < seeds; s++) {
        short.push(await traceSearch(task.specText, task.table, policy, s, SHORT_BUDGET));
        traces.push(await traceSearch(task.specText, task.table, policy, s, runs));
      }
      const at8 = short.map((t) => t.curve[SHORT_BUDGET - 1]);
      const atN = traces.map((t) => t.curve[runs - 1]);
      record(policy, task.name, at8, atN);
      const reach = traces.map((t) => t.curve.findIndex((v) => v >= 0.9) + 1).map((r) => (r === 0 ? Infinity : r));
      const reached = reach.filter(Number.isFinite);
      rows.push({
        section: 'efficiency',
        name: `${task.name} ${policy}: normalized @${SHORT_BUDGET} / @${runs}`,
        value: `${fmt(at8)} / ${fmt(atN)}`,
        note: `runs to 0.9: ${reached.length ? `median ${reached.sort((a, b) => a - b)[Math.floor(reached.length / 2)]}` : 'never'} (${reached.length}/${traces.length} seeds); pick's test ${mean(traces.map((t) => t.pickTest)).toFixed(3)}`,
      });
      series.push({ name: policy, points: Array.from({ length: runs }, (_, i) => [i + 1, 1 - mean(traces.map((t) => t.curve[i]))] as [number, number]) });
    }
    if (withOptuna) {
      const curves = optunaCurves(task.specText, task.table, runs, seeds);
      for (const sampler of OPTUNA_SAMPLERS) {
        const at8 = curves[sampler].map((c) => c[SHORT_BUDGET - 1]);
        const atN = curves[sampler].map((c) => c[runs - 1]);
        record(OPTUNA_LABEL[sampler], task.name, at8, atN);
        rows.push({ section: 'efficiency', name: `${task.name} ${OPTUNA_LABEL[sampler]}: normalized @${SHORT_BUDGET} / @${runs}`, value: `${fmt(at8)} / ${fmt(atN)}` });
        series.push({ name: OPTUNA_LABEL[sampler], points: Array.from({ length: runs }, (_, i) => [i + 1, 1 - mean(curves[sampler].map((c) => c[i]))] as [number, number]) });
      }
    }
    for (const r of rows.slice(-(POLICIES.length + OPTUNA_SAMPLERS.length))) log(`  ${r.name}: ${String(r.value)}`);
    charts.push({ name: `regret-${task.name}`, title: `${task.name}: normalized regret (mean of ${seeds} seeds)`, series });
  }

  // Means over a set of grids: all, the tuning grids, the held-out grids.
  const over = (method: string, names: string[], i: 0 | 1) => mean(names.flatMap((t) => scores.get(method)?.get(t)?.[i] ?? []));
  const all = tasks.map((t) => t.name);
  const tuning = all.filter((t) => TUNING_GRIDS.includes(t));
  const held = all.filter((t) => !TUNING_GRIDS.includes(t));
  const def = 'uct';
  for (const method of scores.keys()) {
    rows.push({ section: 'efficiency', name: `all grids: ${method} normalized @${SHORT_BUDGET} / @${runs}`, value: `${over(method, all, 0).toFixed(3)} / ${over(method, all, 1).toFixed(3)}` });
  }
  for (const [label, names] of [['tuning grids', tuning], ['held-out grids', held]] as const) {
    if (names.length === 0) continue;
    for (const method of [def, 'greedy', ...(withOptuna ? [OPTUNA_LABEL.tpe, OPTUNA_LABEL.tpe_startup4] : [])]) {
      rows.push({ section: 'efficiency', name: `${label} (${names.join(', ')}): ${method} @${SHORT_BUDGET} / @${runs}`, value: `${over(method, names, 0).toFixed(3)} / ${over(method, names, 1).toFixed(3)}` });
    }
  }
  const goal = (name: string, value: number, target: string, min: number) => rows.push({ section: 'efficiency', name, value, target, met: value >= min });
  goal(`all grids: ${def} (default policy) normalized @${SHORT_BUDGET}`, over(def, all, 0), '≥ 0.60', 0.6);
  goal(`all grids: ${def} (default policy) normalized @${runs}`, over(def, all, 1), '≥ 0.95', 0.95);
  for (const i of [0, 1] as const) {
    const at = i === 0 ? SHORT_BUDGET : runs;
    goal(`all grids: ${def} − greedy @${at}`, over(def, all, i) - over('greedy', all, i), '≥ +0.05', 0.05);
    if (withOptuna) {
      // Against the better of Optuna's two TPE set-ups, per budget.
      const tpe = Math.max(over(OPTUNA_LABEL.tpe, all, i), over(OPTUNA_LABEL.tpe_startup4, all, i));
      goal(`all grids: ${def} − Optuna TPE (better set-up) @${at}`, over(def, all, i) - tpe, '≥ +0.05', 0.05);
    }
    goal(`all grids: ${def} − random @${at}`, over(def, all, i) - over('random', all, i), '≥ 0.15', 0.15);
  }
  const perPolicyAt16: Record<string, number> = {};
  for (const p of POLICIES) perPolicyAt16[p] = over(p, all, 1);
  return { rows, charts, perPolicyAt16 };
}
