// Compares UCT tunings (src/engine/search/uct.ts, `UctTuning`) and greedy on the tuning grids only
// (TUNING_GRIDS), where the defaults are chosen; the other grids stay held out.
// `node out/bench/tuneSearch.js [seeds] ['<candidate JSON>' ...]` prints, per candidate, the mean
// normalized score @8 and @16 (separate budgets); with no candidates, the default and greedy.
// A candidate is a partial `UctTuning`, optionally with `"proposer": {OfflineProposerOptions}` and
// `"policy": "greedy"` or `"settings": {SearchSettings overrides}`. TREX_TUNE_BUDGETS=8 measures one budget only; TREX_TUNE_PROPOSER sets the
// proposer's options for every candidate. TREX_TUNE_GRIDS=a,b replays other grids instead: only to
// report held-out grids once the settings are chosen, never to choose them.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OfflineProposer, packageRoot, type OfflineProposerOptions, type SearchSettings, type SelectionPolicy } from '../src/engine';
import { budgetedUct, DEFAULT_UCT_TUNING, type UctTuning } from '../src/engine/search/uct';
import { traceSearch, TUNING_GRIDS } from './efficiency';
import { gridTaskDir, loadOrComputeGrid } from './grid';
import { mean } from './report';

interface Candidate {
  label: string;
  policy: 'uct' | 'greedy';
  selection?: SelectionPolicy;
  proposer: OfflineProposerOptions;
  settings?: Partial<SearchSettings>;
}

type CandidateArg = Partial<UctTuning> & { proposer?: OfflineProposerOptions; policy?: 'uct' | 'greedy'; settings?: Partial<SearchSettings> };

function candidates(args: string[], shared: OfflineProposerOptions): Candidate[] {
  if (args.length === 0) {
    return [
      { label: 'uct (default)', policy: 'uct', proposer: shared },
      { label: 'greedy', policy: 'greedy', proposer: shared },
    ];
  }
  return args.map((a) => {
    const { proposer, policy, settings, ...tuning } = JSON.parse(a) as CandidateArg;
    const t = { ...DEFAULT_UCT_TUNING, ...tuning };
    return policy === 'greedy'
      ? { label: a, policy: 'greedy', proposer: { ...shared, ...proposer }, settings }
      : { label: a, policy: 'uct', selection: budgetedUct(t), proposer: { ...shared, ...proposer }, settings };
  });
}

async function main(): Promise<void> {
  const seeds = Number(process.argv[2] ?? 8);
  const shared = JSON.parse(process.env.TREX_TUNE_PROPOSER ?? '{}') as OfflineProposerOptions;
  const budgets = (process.env.TREX_TUNE_BUDGETS ?? '8,16').split(',').map(Number);
  const work = mkdtempSync(join(tmpdir(), 'trex-tune-'));
  const gridDir = join(packageRoot(), 'bench', 'results', 'grid');
  const grids = [];
  for (const t of process.env.TREX_TUNE_GRIDS?.split(',') ?? TUNING_GRIDS) {
    const dir = gridTaskDir(t);
    // Tuning only replays cached tables: a missing one would train for hours here.
    const table = await loadOrComputeGrid(dir, gridDir, work, () => undefined, { cachedOnly: true });
    if (!table) {
      process.stderr.write(`${t}: no cached grid in ${gridDir}; left out\n`);
      continue;
    }
    grids.push({ name: t, spec: readFileSync(join(dir, 'trex.yaml'), 'utf8'), table });
  }
  for (const c of candidates(process.argv.slice(3), shared)) {
    const all = new Map<number, number[]>(budgets.map((b) => [b, []]));
    const perGrid: string[] = [];
    for (const g of grids) {
      const mine = new Map<number, number[]>(budgets.map((b) => [b, []]));
      for (let s = 0; s < seeds; s++) {
        for (const runs of budgets) mine.get(runs)!.push((await traceSearch(g.spec, g.table, c.policy, s, runs, c.settings, c.selection, new OfflineProposer(c.proposer))).curve[runs - 1]);
      }
      for (const b of budgets) all.get(b)!.push(...mine.get(b)!);
      perGrid.push(`${g.name} ${budgets.map((b) => mean(mine.get(b)!).toFixed(3)).join('/')}`);
    }
    process.stdout.write(`${budgets.map((b) => `@${b} ${mean(all.get(b)!).toFixed(3)}`).join('  ')}  (${perGrid.join(', ')})  ${c.label}\n`);
  }
}

void main();
