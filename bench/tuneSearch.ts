// Compares UCT (with its small-budget rule, src/engine/search/uct.ts) and greedy on the tuning
// grids only (addition, dates), where the rule was chosen; the other grids stay held out.
// `node out/bench/tuneSearch.js [seeds]` prints mean normalized @8 / @16 (separate budgets).
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { examplesDir, packageRoot, type PolicyName } from '../src/engine';
import { traceSearch, TUNING_GRIDS } from './efficiency';
import { loadOrComputeGrid } from './grid';
import { mean } from './report';

async function main(): Promise<void> {
  const seeds = Number(process.argv[2] ?? 8);
  const work = mkdtempSync(join(tmpdir(), 'trex-tune-'));
  const grids = [];
  for (const t of TUNING_GRIDS) {
    const dir = join(examplesDir(), t);
    grids.push({ spec: readFileSync(join(dir, 'trex.yaml'), 'utf8'), table: await loadOrComputeGrid(dir, join(packageRoot(), 'bench', 'results', 'grid'), work, () => undefined) });
  }
  for (const policy of ['uct', 'greedy'] as PolicyName[]) {
    const at: Record<number, number[]> = { 8: [], 16: [] };
    for (const g of grids) for (let s = 0; s < seeds; s++) for (const runs of [8, 16]) at[runs].push((await traceSearch(g.spec, g.table, policy, s, runs)).curve[runs - 1]);
    process.stdout.write(`${policy}: @8 ${mean(at[8]).toFixed(3)}  @16 ${mean(at[16]).toFixed(3)}\n`);
  }
}

void main();
