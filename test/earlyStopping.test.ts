// Early stopping on a live search: a real micro search (PyTorch on CPU, one slot, fixed seeds)
// stops a hopeless configuration at its first rung, keeps its reason and partial result out of the
// selection, and `trex resume` continues it from the checkpoint saved at that step to a full result.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { TreeSummary } from '../src/engine';
import { tempDir, trex } from './helpers/cli';

// Sentiment: after 10 steps a sound learning rate already answers in the label format (accuracy
// about chance), while a learning rate of 1e-6 has not learned the format at all (0).
const MIN_STEPS = 10;

function statusJson(dir: string): TreeSummary {
  const r = trex(['status', dir, '--json']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as TreeSummary;
}

function events(dir: string): { type: string; id?: string; [k: string]: unknown }[] {
  return readFileSync(join(dir, 'tree.jsonl'), 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as { type: string });
}

/** The train stage's step progress lines, in the order the trainer printed them. */
function trainSteps(dir: string, id: string): { step: number; total: number }[] {
  const log = readFileSync(join(dir, 'nodes', id, 'logs', 'train.log'), 'utf8');
  return [...log.matchAll(/^TREX_PROGRESS (\{.*\})$/gm)].map((m) => JSON.parse(m[1]) as { step?: number; total?: number }).filter((p): p is { step: number; total: number } => p.step !== undefined && p.total !== undefined);
}

test('a real micro search stops a hopeless run at a rung, and trex resume continues it from its checkpoint', () => {
  const dir = join(tempDir(), 'sentiment');
  assert.equal(trex(['init', dir, '--from', 'sentiment']).code, 0);
  const spec = join(dir, 'trex.yaml');
  // The baseline runs first (one slot), then its only possible child: a learning rate too small to learn anything.
  const text = readFileSync(spec, 'utf8')
    .replace(/^budget: .*$/m, 'budget: {max_runs: 2, max_compute_hours: 1, max_llm_cost_usd: 0}')
    .replace(/^search: .*$/m, `search: {frozen: [recipe.sources.0.params.noise_rate], policy: uct, children_per_expansion: 1, parallel: 1, seed: 0, final_seeds: 1, early_stopping: {enabled: true, rungs: 1, reduction_factor: 2, min_steps: ${MIN_STEPS}}}`)
    .replace(/epochs: 3, max_steps: null/, 'epochs: 1, max_steps: null')
    .replace(/^search_space:[\s\S]*$/m, 'search_space:\n  - {path: train.learning_rate, values: [0.001, 0.000001]}\n');
  writeFileSync(spec, text);

  const run = trex(['run', dir, '--parallel', '1']);
  assert.equal(run.code, 0, `stdout:\n${run.stdout}\nstderr:\n${run.stderr}`);
  let s = statusJson(dir);
  const root = s.nodes.find((n) => n.parent === null)!;
  const child = s.nodes.find((n) => n.parent === root.id)!;
  assert.equal(root.status, 'succeeded');
  assert.deepEqual(child.changes.map((c) => [c.path, c.to]), [['train.learning_rate', 0.000001]]);
  assert.equal(child.status, 'stopped', JSON.stringify(child));
  assert.equal(child.score, null, 'a partial result is never a full score');
  assert.equal(s.best?.id, root.id, 'selection sees full results only');

  // The reason and partial result, as recorded in the append-only log.
  const rungOf = (id: string) => events(dir).find((e) => e.type === 'node_rung' && e.id === id && e.rung === 0) as { step: number; value: number; metric: string } | undefined;
  const rootRung = rungOf(root.id)!;
  assert.ok(rootRung, 'the baseline recorded its metric at the rung');
  assert.equal(rootRung.step, MIN_STEPS);
  const stop = events(dir).find((e) => e.type === 'node_stopped_early' && e.id === child.id) as { step: number; rung: number; metric: string; value: number; threshold: number; reason: string } | undefined;
  assert.ok(stop, 'the stop is an event');
  assert.equal(stop.step, MIN_STEPS);
  assert.equal(stop.rung, 0);
  assert.equal(stop.metric, 'accuracy');
  assert.equal(stop.threshold, rootRung.value, 'the threshold is the better run\'s value at the same rung');
  assert.ok(stop.value < stop.threshold);
  assert.equal(stop.reason, `stopped early at step ${MIN_STEPS} (rung 0): accuracy ${stop.value} vs threshold ${stop.threshold} (the top 1 of 2 at this rung go on)`);
  assert.deepEqual(child.earlyStop, { step: MIN_STEPS, rung: 0, metric: 'accuracy', value: stop.value, threshold: stop.threshold, reason: stop.reason, partial: true });
  assert.equal(s.runs, 2, 'a stopped run counts as a run');
  const shown = trex(['status', dir]);
  assert.match(shown.stdout, new RegExp(`${child.id} ⏸ stopped early .*stopped early at step ${MIN_STEPS} \\(rung 0\\)`));

  // Resume: the next run continues the stopped node from the checkpoint it saved at the rung.
  const resume = trex(['resume', dir, child.id]);
  assert.equal(resume.code, 0, resume.stderr);
  assert.match(resume.stdout, new RegExp(`continue from its checkpoint at step ${MIN_STEPS}`));
  const again = trex(['run', dir, '--parallel', '1']);
  assert.equal(again.code, 0, `stdout:\n${again.stdout}\nstderr:\n${again.stderr}`);
  s = statusJson(dir);
  const resumed = s.nodes.find((n) => n.id === child.id)!;
  assert.equal(resumed.status, 'succeeded', JSON.stringify(resumed));
  assert.equal(typeof resumed.score, 'number', 'a full result after resuming');
  assert.equal(resumed.resumedFromStep, MIN_STEPS);
  const steps = trainSteps(dir, child.id);
  assert.ok(steps[0].step > MIN_STEPS, `the first step after resuming (${steps[0].step}) follows the checkpoint's step`);
  const last = steps.at(-1)!;
  assert.equal(last.step, last.total, 'and training ran to its last step');
  const result = events(dir).find((e) => e.type === 'node_result' && e.id === child.id) as { result: { resumedFromStep?: number } } | undefined;
  assert.equal(result?.result.resumedFromStep, MIN_STEPS);
});
