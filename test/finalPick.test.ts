// The final pick end to end: a real micro search through the CLI re-runs its top configurations
// with other seeds (real PyTorch training on CPU) and recommends the best mean, shown as mean ± sd.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { FinalistSummary } from '../src/engine';
import { tempDir, trex } from './helpers/cli';

/** The validation score a node's own evaluate stage wrote into its metrics.json. */
function validationScore(dir: string, id: string, metric: string): number {
  const m = JSON.parse(readFileSync(join(dir, 'nodes', id, 'metrics.json'), 'utf8')) as { validation: Record<string, number> };
  return m.validation[metric];
}

test('a real micro search re-runs its top 2 configurations over seeds and recommends by mean ± sd', () => {
  const dir = join(tempDir(), 'addition');
  assert.equal(trex(['init', dir, '--from', 'addition']).code, 0);
  const spec = join(dir, 'trex.yaml');
  // final_seeds 2: each finalist once more, 2 of the 6 runs; 6 ≥ 3 × 2, so the rule applies.
  writeFileSync(spec, readFileSync(spec, 'utf8').replace(/^search: \{/m, 'search: {final_seeds: 2, '));
  const run = trex(['run', dir, '--budget', '6', '--parallel', '2', '--seed', '1']);
  assert.equal(run.code, 0, `stdout:\n${run.stdout}\nstderr:\n${run.stderr}`);
  assert.match(run.stdout, /Recommended \(best mean over seeds\): n\d{4} exact_match=\d\.\d{4} ± \d\.\d{4} over 2 seeds/);

  const json = trex(['status', dir, '--json']);
  assert.equal(json.code, 0, json.stderr);
  const s = JSON.parse(json.stdout) as { runs: number; nodes: { id: string; parent: string | null; status: string; changes: { path: string }[] }[]; final: { pick: FinalistSummary; finalists: FinalistSummary[] } | null };
  assert.equal(s.runs, 6, 'the re-runs come out of the budget of 6');
  assert.ok(s.final, 'the final pick ran');
  assert.equal(s.final.finalists.length, 2);
  for (const f of s.final.finalists) {
    assert.equal(f.runs.length, 2);
    const [first, rerun] = f.runs.map((id) => s.nodes.find((n) => n.id === id)!);
    assert.equal(first.id, f.id);
    assert.equal(rerun.parent, f.id, 'the re-run is a child of the finalist');
    assert.deepEqual(rerun.changes.map((c) => c.path), ['train.seed'], 'it changes only the seed');
    assert.equal(rerun.status, 'succeeded');
    // mean ± sd from the runs' own metrics.json files, as the trainer wrote them.
    const scores = f.runs.map((id) => validationScore(dir, id, 'exact_match'));
    const mean = (scores[0] + scores[1]) / 2;
    const sd = Math.abs(scores[0] - scores[1]) / Math.SQRT2;
    assert.ok(Math.abs(f.mean - mean) < 1e-9, `${f.id} mean ${f.mean} = ${mean}`);
    assert.ok(Math.abs(f.sd - sd) < 1e-9, `${f.id} sd ${f.sd} = ${sd}`);
  }
  const best = Math.max(...s.final.finalists.map((f) => f.mean));
  assert.equal(s.final.pick.mean, best, 'the recommendation is the best mean');

  const text = trex(['status', dir]);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, new RegExp(`Recommended \\(best mean over seeds\\): ${s.final.pick.id} exact_match=${s.final.pick.mean.toFixed(4)} ± ${s.final.pick.sd.toFixed(4)}`));
  assert.match(text.stdout, new RegExp(`${s.final.pick.id} .*◆ recommended`));
  assert.match(readFileSync(join(dir, 'insights.md'), 'utf8'), new RegExp(`Recommended \\(final pick, best mean over seeds\\): ${s.final.pick.id} `));
});
