// Compares UCT tunings (src/engine/search/uct.ts, `UctTuning`) and greedy on the tuning grids only
// (addition, dates), where the defaults are chosen; the other grids stay held out.
// `node out/bench/tuneSearch.js [seeds] ['<UctTuning JSON>' ...]` prints, per tuning, the mean
// normalized score @8 and @16 (separate budgets); with no tunings, the default and greedy.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { examplesDir, OfflineProposer, packageRoot, type OfflineProposerOptions, type SelectionPolicy } from '../src/engine';
import { budgetedUct, DEFAULT_UCT_TUNING, type UctTuning } from '../src/engine/search/uct';
import { traceSearch, TUNING_GRIDS } from './efficiency';
import { loadOrComputeGrid } from './grid';
import { mean } from './report';

async function main(): Promise<void> {
  const seeds = Number(process.argv[2] ?? 8);
  // The offline proposer's options, as JSON (e.g. {"surrogate": false, "temperature": 0.05}).
  const proposerOptions = JSON.parse(process.env.TREX_TUNE_PROPOSER ?? '{}') as OfflineProposerOptions;
  const tunings = process.argv.slice(3).map((a) => ({ ...DEFAULT_UCT_TUNING, ...(JSON.parse(a) as Partial<UctTuning>) }));
  const work = mkdtempSync(join(tmpdir(), 'trex-tune-'));
  const grids = [];
  for (const t of TUNING_GRIDS) {
    const dir = join(examplesDir(), t);
    grids.push({ name: t, spec: readFileSync(join(dir, 'trex.yaml'), 'utf8'), table: await loadOrComputeGrid(dir, join(packageRoot(), 'bench', 'results', 'grid'), work, () => undefined) });
  }
  const candidates: { label: string; policy: 'uct' | 'greedy'; selection?: SelectionPolicy }[] = tunings.length
    ? tunings.map((t) => ({ label: JSON.stringify(t), policy: 'uct', selection: budgetedUct(t) }))
    : [{ label: 'uct (default)', policy: 'uct' }, { label: 'greedy', policy: 'greedy' }];
  for (const c of candidates) {
    const at: Record<number, number[]> = { 8: [], 16: [] };
    const perGrid: string[] = [];
    for (const g of grids) {
      const mine: Record<number, number[]> = { 8: [], 16: [] };
      for (let s = 0; s < seeds; s++) for (const runs of [8, 16]) mine[runs].push((await traceSearch(g.spec, g.table, c.policy, s, runs, {}, c.selection, new OfflineProposer(proposerOptions))).curve[runs - 1]);
      at[8].push(...mine[8]);
      at[16].push(...mine[16]);
      perGrid.push(`${g.name} ${mean(mine[8]).toFixed(3)}/${mean(mine[16]).toFixed(3)}`);
    }
    process.stdout.write(`@8 ${mean(at[8]).toFixed(3)}  @16 ${mean(at[16]).toFixed(3)}  (${perGrid.join(', ')})  ${c.label}\n`);
  }
}

void main();
