// Search efficiency: each policy × seed searches each task with the offline proposer, replayed on
// the grid table (real results of every configuration). Scores are normalized between the
// baseline (0) and the grid's best (1).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Experiment, initExperiment, OfflineProposer, POLICIES, Search, type PolicyName, type SearchSettings } from '../src/engine';
import type { GridTable } from './grid';
import { mean, stdev, type Row } from './report';
import { tableBackend } from './tableBackend';
import type { Series } from './plot';

export interface SearchTrace {
  policy: PolicyName;
  seed: number;
  /** Normalized best-so-far validation score after each training run. */
  curve: number[];
  pickTest: number;
  computeMs: number;
}

export async function traceSearch(specText: string, table: GridTable, policy: PolicyName, seed: number, runs: number, settings: Partial<SearchSettings> = {}): Promise<SearchTrace> {
  const dir = join(mkdtempSync(join(tmpdir(), 'trex-bench-eff-')), 'exp');
  initExperiment(dir, specText);
  const exp = Experiment.open(dir);
  try {
    const byHash = new Map(table.entries.map((e) => [e.hash, e]));
    const backend = tableBackend(
      dir,
      (id) => {
        const e = byHash.get(exp.tree.get(id).configHash);
        if (!e) throw new Error(`config of ${id} is not on the grid of ${table.task}: the baseline must use values from the search space`);
        return e;
      },
      exp.spec.metric.name,
    );
    const utilities: number[] = [];
    const off = exp.onEvent((e) => {
      if (e.type === 'node_result' && !e.result.reusedFrom) utilities.push(exp.tree.utility(e.result.score));
      if (e.type === 'node_failed') utilities.push(-Infinity);
    });
    await new Search(exp, { backend, proposer: new OfflineProposer(), policy, seed, budget: { max_runs: runs }, settings: { ...settings, reuse: { dedupe: true, data_cache: true, warm_start: false } }, writeInsights: false }).run(new AbortController().signal);
    off();
    const util = (s: number) => (exp.tree.goal === 'minimize' ? -s : s);
    const oracle = Math.max(...table.entries.map((e) => util(e.score)));
    const root = util(table.entries[0].score);
    const curve: number[] = [];
    let best = -Infinity;
    for (let i = 0; i < runs; i++) {
      if (i < utilities.length) best = Math.max(best, utilities[i]);
      curve.push(oracle > root ? Math.max(0, (best - root) / (oracle - root)) : 1);
    }
    const pick = exp.tree.best();
    return { policy, seed, curve, pickTest: pick?.result?.testScore ?? NaN, computeMs: exp.tree.computeMsSpent() };
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

export async function benchEfficiency(tasks: { name: string; specText: string; table: GridTable }[], seeds: number, runs: number): Promise<EfficiencyResult> {
  const rows: Row[] = [];
  const charts: EfficiencyResult['charts'] = [];
  const all: Record<string, number[]> = {};
  const at8all: Record<string, number[]> = {};
  for (const task of tasks) {
    const series: Series[] = [];
    const oracle = Math.max(...task.table.entries.map((e) => e.score));
    rows.push({ section: 'efficiency', name: `${task.name}: grid oracle (validation)`, value: oracle, note: `${task.table.runs} runs, computed once and cached` });
    rows.push({ section: 'efficiency', name: `${task.name}: baseline (validation)`, value: task.table.entries[0].score });
    for (const policy of POLICIES) {
      const traces: SearchTrace[] = [];
      for (let s = 0; s < seeds; s++) traces.push(await traceSearch(task.specText, task.table, policy, s, runs));
      const at = (r: number) => traces.map((t) => t.curve[Math.min(r, t.curve.length) - 1]);
      const at8 = at(8);
      const at16 = at(runs);
      (all[policy] ??= []).push(...at16);
      (at8all[policy] ??= []).push(...at8);
      const reach = traces.map((t) => t.curve.findIndex((v) => v >= 0.9) + 1).map((r) => (r === 0 ? Infinity : r));
      const reached = reach.filter(Number.isFinite);
      rows.push({
        section: 'efficiency',
        name: `${task.name} ${policy}: normalized @8 / @${runs}`,
        value: `${mean(at8).toFixed(3)} ± ${stdev(at8).toFixed(3)} / ${mean(at16).toFixed(3)} ± ${stdev(at16).toFixed(3)}`,
        note: `runs to 0.9: ${reached.length ? `median ${reached.sort((a, b) => a - b)[Math.floor(reached.length / 2)]}` : 'never'} (${reached.length}/${traces.length} seeds); pick's test ${mean(traces.map((t) => t.pickTest)).toFixed(3)}`,
      });
      series.push({ name: policy, points: Array.from({ length: runs }, (_, i) => [i + 1, 1 - mean(traces.map((t) => t.curve[i]))] as [number, number]) });
    }
    charts.push({ name: `regret-${task.name}`, title: `${task.name}: normalized regret (mean of ${seeds} seeds)`, series });
  }
  const perPolicyAt16: Record<string, number> = {};
  for (const p of POLICIES) perPolicyAt16[p] = mean(all[p]);
  const u = perPolicyAt16.uct;
  rows.push({ section: 'efficiency', name: `all tasks: uct normalized @${runs}`, value: u, target: '≥ 0.9', met: u >= 0.9 });
  rows.push({ section: 'efficiency', name: `all tasks: uct − greedy @${runs}`, value: u - perPolicyAt16.greedy, target: '≥ 0.05', met: u - perPolicyAt16.greedy >= 0.05 });
  rows.push({ section: 'efficiency', name: `all tasks: uct − random @${runs}`, value: u - perPolicyAt16.random, target: '≥ 0.15', met: u - perPolicyAt16.random >= 0.15 });
  for (const p of POLICIES) rows.push({ section: 'efficiency', name: `all tasks: ${p} normalized @8 / @${runs}`, value: `${mean(at8all[p]).toFixed(3)} / ${perPolicyAt16[p].toFixed(3)}` });
  return { rows, charts, perPolicyAt16 };
}
