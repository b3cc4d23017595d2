// Early stopping (multi-fidelity) on the grids whose runs were evaluated during training: the
// default policy replayed under a compute budget with early stopping off and on (the engine's own
// rung monitor cuts a replayed run at the step its real evaluations say, and pays only the
// training up to there), next to Optuna TPE with no pruner, its median pruner and Hyperband on the
// same table and budget. Measures compute to reach 0.9 of the grid's oracle, and the best score
// reached within the budget (early stopping must keep it).
import { searchSettings, type EarlyStoppingSettings, type TaskSpec } from '../src/engine';
import { parseAndValidate } from '../src/engine/spec/validate';
import { traceSearch } from './efficiency';
import type { GridTable } from './grid';
import { OPTUNA_LABEL, OPTUNA_PRUNERS, optunaComputeCurves, type OptunaPruner } from './optuna';
import { mean, type Row } from './report';

type Points = { computeMs: number; best: number }[];

/** The budget, in full runs of the grid's mean cost: enough for most searches to reach 0.9. */
const BUDGET_RUNS = 32;
const MAX_RUNS = 96;
const TARGET = 0.9;

export function hasIntermediateEvals(table: GridTable): boolean {
  return table.entries.filter((e) => e.steps?.length).length >= table.entries.length / 2;
}

/** Compute spent when the normalized best first reached `target` (Infinity if it never did). */
export function computeToReach(points: Points, target: number): number {
  return points.find((p) => p.best >= target)?.computeMs ?? Infinity;
}

/** The best normalized score among runs finished within the budget. */
export function bestWithin(points: Points, budgetMs: number): number {
  return Math.max(0, ...points.filter((p) => p.computeMs <= budgetMs).map((p) => p.best));
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

const seconds = (ms: number) => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(0)} s` : 'not reached');
const geomean = (xs: number[]) => Math.exp(mean(xs.map(Math.log)));

export async function benchEarlyStopping(tasks: { name: string; specText: string; table: GridTable }[], seeds: number, log: (s: string) => void = () => undefined): Promise<Row[]> {
  const rows: Row[] = [];
  const ratios: { uct: number[]; median: number[]; hyperband: number[] } = { uct: [], median: [], hyperband: [] };
  const finals: { off: number[]; on: number[] } = { off: [], on: [] };
  const used = tasks.filter((t) => hasIntermediateEvals(t.table));
  for (const task of used) {
    const runMs = mean(task.table.entries.map((e) => e.trainMs + e.evaluateMs));
    const budgetMs = BUDGET_RUNS * runMs;
    const es: EarlyStoppingSettings = { ...searchSettingsOf(task.specText), enabled: true };
    const off: Points[] = [];
    const on: Points[] = [];
    let stopped = 0;
    let runsOn = 0;
    for (let s = 0; s < seeds; s++) {
      off.push((await traceSearch(task.specText, task.table, 'uct', s, MAX_RUNS, {}, undefined, undefined, budgetMs)).points);
      const t = await traceSearch(task.specText, task.table, 'uct', s, MAX_RUNS, { early_stopping: es }, undefined, undefined, budgetMs);
      on.push(t.points);
      runsOn += t.points.length;
      stopped += t.stoppedEarly;
    }
    const reachOff = median(off.map((p) => computeToReach(p, TARGET)));
    const reachOn = median(on.map((p) => computeToReach(p, TARGET)));
    const ratio = reachOn / reachOff;
    if (Number.isFinite(ratio)) ratios.uct.push(ratio);
    const finalOff = off.map((p) => bestWithin(p, budgetMs));
    const finalOn = on.map((p) => bestWithin(p, budgetMs));
    finals.off.push(...finalOff);
    finals.on.push(...finalOn);
    const reached = (ps: Points[]) => ps.filter((p) => Number.isFinite(computeToReach(p, TARGET))).length;
    rows.push({
      section: 'early-stopping',
      name: `${task.name} uct: compute to reach ${TARGET} of oracle, without / with early stopping (median of ${seeds} seeds)`,
      value: `${seconds(reachOff)} / ${seconds(reachOn)} (${Number.isFinite(ratio) ? ratio.toFixed(2) : '—'}×)`,
      note: `reached by ${reached(off)} / ${reached(on)} seeds within ${seconds(budgetMs)} (${BUDGET_RUNS} mean runs); with early stopping ${stopped} of ${runsOn} runs stopped (rungs ${es.rungs}, η ${es.reduction_factor}, min_steps ${es.min_steps})`,
    });
    rows.push({ section: 'early-stopping', name: `${task.name} uct: best within the budget, without / with early stopping`, value: `${mean(finalOff).toFixed(3)} / ${mean(finalOn).toFixed(3)}` });

    const optuna = optunaComputeCurves(task.specText, task.table, 'tpe', budgetMs, MAX_RUNS, seeds);
    const reachBy = {} as Record<OptunaPruner, number>;
    for (const p of OPTUNA_PRUNERS) reachBy[p] = median(optuna[p].map((pts) => computeToReach(pts, TARGET)));
    for (const p of ['median', 'hyperband'] as const) if (Number.isFinite(reachBy[p] / reachBy.none)) ratios[p].push(reachBy[p] / reachBy.none);
    rows.push({
      section: 'early-stopping',
      name: `${task.name} ${OPTUNA_LABEL.tpe}: compute to reach ${TARGET} of oracle, no pruner / median pruner / Hyperband`,
      value: OPTUNA_PRUNERS.map((p) => seconds(reachBy[p])).join(' / '),
      note: `reached by ${OPTUNA_PRUNERS.map((p) => reached(optuna[p])).join(' / ')} seeds; best within the budget ${OPTUNA_PRUNERS.map((p) => mean(optuna[p].map((pts) => bestWithin(pts, budgetMs))).toFixed(3)).join(' / ')}`,
    });
    for (const r of rows.slice(-3)) log(`  ${r.name}: ${String(r.value)}`);
  }
  if (used.length === 0) return rows;
  const names = used.map((t) => t.name).join(', ');
  const ratio = ratios.uct.length === used.length ? geomean(ratios.uct) : NaN;
  rows.push({
    section: 'early-stopping',
    name: `grids with evaluations during training (${names}): compute to reach ${TARGET} of oracle, with early stopping vs without (uct, geometric mean over grids)`,
    value: Number.isFinite(ratio) ? `${ratio.toFixed(2)}×` : 'not reached',
    target: '≤ 0.6×',
    met: ratio <= 0.6,
  });
  rows.push({
    section: 'early-stopping',
    name: `grids with evaluations during training: best within the budget, with early stopping − without (uct)`,
    value: mean(finals.on) - mean(finals.off),
    note: `${mean(finals.on).toFixed(3)} vs ${mean(finals.off).toFixed(3)}; early stopping must keep the final score`,
  });
  for (const p of ['median', 'hyperband'] as const) {
    const r = ratios[p].length === used.length ? geomean(ratios[p]) : NaN;
    rows.push({ section: 'early-stopping', name: `same, ${OPTUNA_LABEL.tpe} with its ${p === 'median' ? 'median pruner' : 'Hyperband pruner'} vs no pruner`, value: Number.isFinite(r) ? `${r.toFixed(2)}×` : 'not reached' });
  }
  return rows;
}

function searchSettingsOf(specText: string): EarlyStoppingSettings {
  return searchSettings(parseAndValidate<TaskSpec>(specText, 'trex', 'trex.yaml')).early_stopping;
}
