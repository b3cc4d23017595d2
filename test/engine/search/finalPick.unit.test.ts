// The final pick against the in-memory backend: the top configurations are re-run over seeds as
// real nodes through the executor, the re-runs come out of the run budget, and the recommendation
// is the best mean validation score, never the held-out test score.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { computeInsights, Experiment, FINAL_PICK_PROPOSER, initExperiment, MemoryBackend, microStageOutputs, OfflineProposer, readExample, Search, setPath, summarizeTree, type MemoryStage, type Proposer } from '../../../src/engine';
import { tempDir } from '../../helpers/cli';

function experiment(finalSeeds?: number): Experiment {
  const dir = tempDir('trex-unit-final-');
  const text = readExample('addition').text;
  initExperiment(dir, finalSeeds === undefined ? text : text.replace(/^search: \{/m, `search: {final_seeds: ${finalSeeds}, `));
  return Experiment.open(dir);
}

/**
 * Config A (learning_rate 0.01) is lucky with seed 0 and poor with any other; B (0.02) is steady.
 * On the held-out test A always looks best, so a pick that peeked at test would choose it.
 */
function landscape(exp: Experiment, nodeId: string): { validation: number; test: number } {
  const t = exp.readNodeConfig(nodeId).train as { learning_rate: number; seed?: number };
  const seed = t.seed ?? 0;
  if (t.learning_rate === 0.01) return { validation: seed === 0 ? 0.9 : 0.5 + 0.01 * seed, test: 0.99 };
  if (t.learning_rate === 0.02) return { validation: 0.8 - 0.01 * seed, test: 0.7 };
  return { validation: 0.3, test: 0.3 };
}

/** Proposes A and B as the root's children, then nothing: the search ends "exhausted" after 3 runs. */
const twoChildren: Proposer = {
  name: 'two',
  propose: async (ctx) => {
    if (ctx.parentId !== ctx.exp.tree.root) return { proposals: [], dropped: [] };
    const base = ctx.exp.readNodeConfig(ctx.parentId);
    const child = (lr: number) => ({ title: `lr ${lr}`, plan: `# lr ${lr}\n`, config: setPath(base, 'train.learning_rate', lr), changes: [{ path: 'train.learning_rate', from: 0, to: lr }] });
    return { proposals: [child(0.01), child(0.02)], dropped: [] };
  },
};

function backendFor(exp: Experiment): MemoryBackend {
  return new MemoryBackend(exp.dir, (s: MemoryStage) => microStageOutputs(s, 'exact_match', landscape(exp, s.nodeId), 1000));
}

test('the top 2 configurations are re-run over seeds and the recommendation is the best mean, not the lucky run or the test score', async () => {
  const exp = experiment();
  const backend = backendFor(exp);
  const summary = await new Search(exp, { backend, proposer: twoChildren, fallbackProposer: null, budget: { max_runs: 12 }, parallel: 2 }).run(new AbortController().signal);
  const tree = exp.tree;
  const byLr = (lr: number) => [...tree.nodes.values()].find((n) => n.changes.some((c) => c.path === 'train.learning_rate' && c.to === lr))!.id;
  const a = byLr(0.01);
  const b = byLr(0.02);
  assert.equal(tree.best()!.id, a, 'A has the best single validation run');

  const reruns = [...tree.nodes.values()].filter((n) => n.proposer === FINAL_PICK_PROPOSER);
  assert.equal(reruns.length, 4, 'two finalists, two extra seeds each (final_seeds 3)');
  for (const n of reruns) {
    assert.ok(n.parent === a || n.parent === b, `${n.id} re-runs a finalist`);
    assert.deepEqual(n.changes.map((c) => c.path), ['train.seed'], 'a re-run changes only the seed');
    assert.equal(n.status, 'succeeded');
    assert.equal(n.result!.score, landscape(exp, n.id).validation, `${n.id}'s score came from its own evaluate stage`);
  }
  // Every re-run trained and evaluated on the backend (its data came from the cache: same recipe).
  for (const n of reruns) assert.deepEqual(backend.started.filter((s) => s.nodeId === n.id).map((s) => s.stage), ['train', 'evaluate']);

  const f = summary.final!;
  assert.equal(f.pick.anchor, b, 'the steady configuration wins on its mean');
  const scoresOf = (anchor: string) => [anchor, ...reruns.filter((n) => n.parent === anchor).map((n) => n.id)].map((id) => tree.get(id).result!.score);
  const bScores = scoresOf(b);
  const mean = bScores.reduce((x, y) => x + y, 0) / 3;
  const sd = Math.sqrt(bScores.reduce((x, y) => x + (y - mean) ** 2, 0) / 2);
  assert.ok(Math.abs(f.pick.mean - mean) < 1e-12 && Math.abs(f.pick.sd - sd) < 1e-12, `${f.pick.mean} ± ${f.pick.sd} vs ${mean} ± ${sd}`);
  assert.ok(f.pick.sd > 0);
  const finalistA = f.finalists.find((x) => x.anchor === a)!;
  assert.ok(finalistA.testMean! > f.pick.testMean!, 'A looks better on test, and still is not chosen');

  assert.ok(!computeInsights(tree).effects.some((e) => e.path === 'train.seed'), 'a seed re-run is noise, not an effect of a change');
  const s = summarizeTree(tree);
  assert.equal(s.final?.pick.id, b);
  assert.equal(s.final?.pick.runs.length, 3);
  exp.close();
});

test('the re-runs come out of budget.max_runs: the search explores the rest, and the total stays within the budget', async () => {
  const exp = experiment();
  const backend = new MemoryBackend(exp.dir, (s: MemoryStage) => {
    const t = exp.readNodeConfig(s.nodeId).train as { learning_rate: number; epochs?: number; seed?: number };
    return microStageOutputs(s, 'exact_match', { validation: Math.min(1, t.learning_rate * 20 + (t.epochs ?? 1) / 100 + (t.seed ?? 0) / 1000) }, 1000);
  });
  const summary = await new Search(exp, { backend, proposer: new OfflineProposer(), budget: { max_runs: 12 }, parallel: 2 }).run(new AbortController().signal);
  assert.equal(summary.reason, 'budget');
  assert.equal(summary.runs, 12, 'the whole budget, no more');
  const reruns = [...exp.tree.nodes.values()].filter((n) => n.proposer === FINAL_PICK_PROPOSER);
  assert.equal(reruns.length, 4);
  const explored = [...exp.tree.nodes.values()].filter((n) => n.proposer !== FINAL_PICK_PROPOSER && (n.status === 'succeeded' || n.status === 'failed') && !n.result?.reusedFrom);
  assert.equal(explored.length, 8, 'the search itself spent max_runs − 4');
  assert.ok(summary.final);
  exp.close();
});

test('a small budget is all spent on the search; final_seeds 1 turns the re-runs off', async () => {
  for (const [seeds, maxRuns] of [[3, 11], [1, 12]] as const) {
    const exp = experiment(seeds);
    const summary = await new Search(exp, { backend: backendFor(exp), proposer: new OfflineProposer(), budget: { max_runs: maxRuns }, parallel: 2 }).run(new AbortController().signal);
    assert.equal(summary.runs, maxRuns);
    assert.equal([...exp.tree.nodes.values()].filter((n) => n.proposer === FINAL_PICK_PROPOSER).length, 0, `final_seeds ${seeds}, budget ${maxRuns}: no re-runs`);
    assert.equal(summary.final, undefined);
    exp.close();
  }
});
