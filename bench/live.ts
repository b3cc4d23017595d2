// Live searches with real training: reuse on vs off, and the engine's own cost per node.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Experiment, initExperiment, LocalBackend, OfflineProposer, runnerDir, Search, type ReuseSettings } from '../src/engine';
import { mean, percentile, type Row } from './report';

async function liveSearch(specText: string, opts: { runs: number; parallel: number; reuse: ReuseSettings; seed: number }) {
  const dir = join(mkdtempSync(join(tmpdir(), 'trex-bench-live-')), 'exp');
  initExperiment(dir, specText);
  const exp = Experiment.open(dir);
  const backend = new LocalBackend({ experimentDir: dir, runnerDir: runnerDir(), capacity: opts.parallel });
  const t0 = Date.now();
  await new Search(exp, { backend, proposer: new OfflineProposer(), policy: 'uct', parallel: opts.parallel, seed: opts.seed, threads: 1, budget: { max_runs: opts.runs }, settings: { final_seeds: 1, reuse: opts.reuse } }).run(new AbortController().signal);
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
  exp.close();
  rmSync(join(dir, '..'), { recursive: true, force: true });
  return out;
}

export async function benchReuse(specText: string, task: string, runs: number, log: (s: string) => void): Promise<Row[]> {
  log(`  reuse on: ${runs} runs of ${task}`);
  const on = await liveSearch(specText, { runs, parallel: 2, seed: 0, reuse: { dedupe: true, data_cache: true, warm_start: true } });
  log(`  reuse off: ${runs} runs of ${task}`);
  const off = await liveSearch(specText, { runs, parallel: 2, seed: 0, reuse: { dedupe: false, data_cache: false, warm_start: false } });
  const saved = 1 - on.computeMs / off.computeMs;
  const warm = on.nodes.filter((n) => n.result?.warmStartFrom).length;
  const cached = on.nodes.filter((n) => n.result?.dataCacheHit).length;
  const deduped = on.nodes.filter((n) => n.result?.reusedFrom).length;
  return [
    { section: 'reuse', name: `${task}: compute with reuse on / off`, value: `${(on.computeMs / 1000).toFixed(1)} s / ${(off.computeMs / 1000).toFixed(1)} s`, note: `${runs} runs each; data-cache hits ${cached}, warm starts ${warm}, deduped ${deduped}` },
    { section: 'reuse', name: `${task}: compute saved by reuse`, value: saved * 100, unit: '%', target: '≥ 30%', met: saved >= 0.3 },
    { section: 'reuse', name: `${task}: final best with reuse on / off`, value: `${on.best.toFixed(3)} / ${off.best.toFixed(3)}`, note: 'equal score expected' },
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
