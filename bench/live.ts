// Live searches with real training: reuse on vs off, and the engine's own cost per node.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Experiment, initExperiment, LocalBackend, OfflineProposer, runnerDir, Search, type EarlyStoppingSettings, type ReuseSettings } from '../src/engine';
import { intermediateEvals } from './grid';
import { mean, percentile, type Row } from './report';

async function liveSearch(specText: string, opts: { runs: number; parallel: number; reuse: ReuseSettings; seed: number; earlyStopping?: EarlyStoppingSettings; inspect?: (exp: Experiment) => void }) {
  const dir = join(mkdtempSync(join(tmpdir(), 'trex-bench-live-')), 'exp');
  initExperiment(dir, specText);
  const exp = Experiment.open(dir);
  const backend = new LocalBackend({ experimentDir: dir, runnerDir: runnerDir(), capacity: opts.parallel });
  const t0 = Date.now();
  await new Search(exp, { backend, proposer: new OfflineProposer(), policy: 'uct', parallel: opts.parallel, seed: opts.seed, threads: 1, budget: { max_runs: opts.runs }, settings: { final_seeds: 1, reuse: opts.reuse, ...(opts.earlyStopping ? { early_stopping: opts.earlyStopping } : {}) } }).run(new AbortController().signal);
  const wallMs = Date.now() - t0;
  const nodes = [...exp.tree.nodes.values()];
  const best = exp.tree.best();
  const out = {
    wallMs,
    computeMs: exp.tree.computeMsSpent(),
    savedMs: exp.tree.savedMs(),
    best: best?.result?.score ?? NaN,
    nodes,
  };
  opts.inspect?.(exp);
  exp.close();
  rmSync(join(dir, '..'), { recursive: true, force: true });
  return out;
}

/** What each reuse mechanism saved in a search, in ms, from its own records. */
function savingsByMechanism(exp: Experiment): Record<'data cache' | 'warm start' | 'dedupe' | 'early stopping', number> {
  const nodes = [...exp.tree.nodes.values()];
  const prepareOf = new Map<string, number>();
  for (const n of nodes) if (n.stageMs.prepare) prepareOf.set(n.recipeHash, n.stageMs.prepare);
  const out = { 'data cache': 0, 'warm start': 0, dedupe: 0, 'early stopping': 0 };
  for (const n of nodes) {
    const r = n.result;
    if (r?.reusedFrom) {
      // The twin's own compute; its savings are counted on the twin.
      out.dedupe += exp.tree.get(r.reusedFrom).result?.computeMs ?? 0;
      continue;
    }
    const cached = r?.dataCacheHit ? (prepareOf.get(n.recipeHash) ?? 0) : 0;
    out['data cache'] += cached;
    if (r?.warmStartFrom) out['warm start'] += Math.max(0, (r.savedMs ?? 0) - cached);
    if (n.earlyStop && n.status === 'stopped') {
      // The training a stopped run did not do: its measured pace, up to its last step.
      const total = intermediateEvals(readTrainLog(exp, n.id)).totalSteps;
      const trained = n.stageMs.train ?? 0;
      if (total && n.earlyStop.step > 0) out['early stopping'] += trained * (total / n.earlyStop.step - 1);
    }
  }
  return out;
}

function readTrainLog(exp: Experiment, id: string): string {
  try {
    return readFileSync(exp.nodePath(id, 'logs', 'train.log'), 'utf8');
  } catch {
    return '';
  }
}

/**
 * Reuse on (dedupe, data cache, warm start, early stopping) vs everything off, on a live search of
 * a task whose runs evaluate during training; each mechanism's share is what it saved by its own
 * records, as a share of the compute with everything off.
 */
export async function benchReuse(specText: string, task: string, runs: number, log: (s: string) => void): Promise<Row[]> {
  const earlyStopping = { enabled: true, rungs: 3, reduction_factor: 3, min_steps: 20 };
  log(`  reuse on: ${runs} runs of ${task}`);
  let shares: ReturnType<typeof savingsByMechanism> | undefined;
  const on = await liveSearch(specText, { runs, parallel: 2, seed: 0, reuse: { dedupe: true, data_cache: true, warm_start: true }, earlyStopping, inspect: (exp) => (shares = savingsByMechanism(exp)) });
  log(`  reuse off: ${runs} runs of ${task}`);
  const off = await liveSearch(specText, { runs, parallel: 2, seed: 0, reuse: { dedupe: false, data_cache: false, warm_start: false } });
  const saved = 1 - on.computeMs / off.computeMs;
  const count = (f: (n: (typeof on.nodes)[number]) => unknown) => on.nodes.filter(f).length;
  const pct = (ms: number) => `${((100 * ms) / off.computeMs).toFixed(1)} %`;
  return [
    { section: 'reuse', name: `${task}: compute with reuse on / off`, value: `${(on.computeMs / 1000).toFixed(1)} s / ${(off.computeMs / 1000).toFixed(1)} s`, note: `${runs} runs each; data-cache hits ${count((n) => n.result?.dataCacheHit)}, warm starts ${count((n) => n.result?.warmStartFrom)}, deduped ${count((n) => n.result?.reusedFrom)}, stopped early ${count((n) => n.status === 'stopped')}` },
    { section: 'reuse', name: `${task}: compute saved by reuse`, value: saved * 100, unit: '%', target: '≥ 30%', met: saved >= 0.3 },
    { section: 'reuse', name: `${task}: share of the compute with reuse off saved by each mechanism (its own records)`, value: Object.entries(shares ?? {}).map(([k, ms]) => `${k} ${pct(ms)}`).join(', ') },
    { section: 'reuse', name: `${task}: final best with reuse on / off`, value: `${on.best.toFixed(3)} / ${off.best.toFixed(3)}`, note: 'equal final score is the condition' },
  ];
}

export async function benchOverhead(specText: string, task: string, runs: number, log: (s: string) => void): Promise<Row[]> {
  log(`  engine overhead: ${runs} runs of ${task} with 4 slots`);
  const r = await liveSearch(specText, { runs, parallel: 4, seed: 3, reuse: { dedupe: true, data_cache: true, warm_start: true } });
  const trained = r.nodes.filter((n) => n.result && !n.result.reusedFrom);
  const overheads = trained.map((n) => n.result!.wallMs - ((n.stageMs.prepare ?? 0) + (n.stageMs.train ?? 0) + (n.stageMs.evaluate ?? 0)));
  const busy = trained.reduce((a, n) => a + n.result!.wallMs, 0);
  const utilization = busy / (4 * r.wallMs);
  const med = percentile(overheads, 50);
  return [
    { section: 'engine', name: 'overhead per node, excluding training (median)', value: med, unit: 'ms', target: '≤ 200 ms', met: med <= 200, note: `mean ${mean(overheads).toFixed(0)} ms, p90 ${percentile(overheads, 90).toFixed(0)} ms over ${overheads.length} nodes` },
    { section: 'engine', name: 'slot utilization, 4 parallel slots', value: utilization * 100, unit: '%', target: '≥ 90%', met: utilization >= 0.9, note: `${runs} runs in ${(r.wallMs / 1000).toFixed(1)} s` },
  ];
}
