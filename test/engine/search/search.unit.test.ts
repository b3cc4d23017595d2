// Search and NodeExecutor against the in-memory backend: the engine's own stage plans, event log
// and accounting, with stages answered in-process on a virtual clock — milliseconds a test.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Experiment, initExperiment, MemoryBackend, microStageOutputs, NodeExecutor, OfflineProposer, readExample, Search, type MemoryStage, type Proposer, type TreeEvent } from '../../../src/engine';
import { tempDir } from '../../helpers/cli';

function experiment(): Experiment {
  const dir = tempDir('trex-unit-search-');
  initExperiment(dir, readExample('addition').text);
  return Experiment.open(dir);
}

/** A made-up but deterministic landscape: higher learning rate and more data score higher. */
function scoreOf(exp: Experiment, nodeId: string): number {
  const c = exp.readNodeConfig(nodeId) as { train: { learning_rate: number; epochs: number }; recipe: { sources: { num_examples: number }[] } };
  return Math.min(1, c.train.learning_rate * 20 + c.recipe.sources[0].num_examples / 10_000 + c.train.epochs / 100);
}

function scoredBackend(exp: Experiment, ms = 1000): MemoryBackend {
  return new MemoryBackend(exp.dir, (s: MemoryStage) => microStageOutputs(s, 'exact_match', { validation: scoreOf(exp, s.nodeId), test: scoreOf(exp, s.nodeId) }, ms));
}

test('a search runs its budget of nodes through prepare → train → evaluate and picks the best score', async () => {
  const exp = experiment();
  const backend = scoredBackend(exp);
  const summary = await new Search(exp, { backend, proposer: new OfflineProposer(), budget: { max_runs: 6 }, parallel: 2 }).run(new AbortController().signal);
  assert.equal(summary.reason, 'budget');
  assert.equal(summary.runs, 6);
  const succeeded = [...exp.tree.nodes.values()].filter((n) => n.status === 'succeeded' && !n.result?.reusedFrom);
  assert.equal(succeeded.length, 6);
  const best = Math.max(...succeeded.map((n) => n.result!.score));
  assert.equal(summary.best?.score, best);
  for (const n of succeeded) assert.equal(n.result!.score, scoreOf(exp, n.id), `${n.id}'s score is what its own stages reported`);
  const stages = backend.started.filter((s) => s.nodeId === succeeded[0].id).map((s) => s.stage);
  assert.deepEqual(stages, ['prepare', 'train', 'evaluate']);
  exp.close();
});

test('identical work is never paid twice: a proposer that repeats a configuration gets it dropped, not run', async () => {
  const exp = experiment();
  const backend = scoredBackend(exp);
  const dropped: TreeEvent[] = [];
  exp.onEvent((e) => e.type === 'proposal_dropped' && dropped.push(e));
  // Proposes exactly the parent's configuration again, under a new title.
  const twin: Proposer = { name: 'twin', propose: async (ctx) => ({ proposals: [{ title: 'same again', plan: '# same\n', config: ctx.exp.readNodeConfig(ctx.parentId), changes: [] }], dropped: [] }) };
  const summary = await new Search(exp, { backend, proposer: twin, fallbackProposer: null, budget: { max_runs: 3 }, parallel: 1 }).run(new AbortController().signal);
  assert.equal(summary.reason, 'exhausted', 'nothing new to try: the search ends instead of spinning on free nodes');
  assert.equal(exp.tree.nodes.size, 1, 'the twin was never created');
  assert.ok(dropped.length >= 1);
  assert.match(JSON.stringify(dropped[0]), /same configuration as n0000/);
  assert.equal(backend.started.filter((s) => s.stage === 'train').length, 1, 'only the baseline trained');
  exp.close();
});

test('with the twin dropped, the offline fallback proposes something new for that expansion', async () => {
  const exp = experiment();
  const backend = scoredBackend(exp);
  const twin: Proposer = { name: 'twin', propose: async (ctx) => ({ proposals: [{ title: 'same again', plan: '# same\n', config: ctx.exp.readNodeConfig(ctx.parentId), changes: [] }], dropped: [] }) };
  const summary = await new Search(exp, { backend, proposer: twin, budget: { max_runs: 3 }, parallel: 1 }).run(new AbortController().signal);
  assert.equal(summary.runs, 3);
  const children = [...exp.tree.nodes.values()].filter((n) => n.parent !== null);
  assert.ok(children.length >= 2 && children.every((n) => /offline \(fallback/.test(n.proposer ?? '')), JSON.stringify(children.map((n) => n.proposer)));
  exp.close();
});

test('a hand-made fork with its parent\'s exact config is answered from the parent, at no cost', async () => {
  const exp = experiment();
  const backend = scoredBackend(exp);
  const config = { recipe: exp.spec.baseline.recipe as never, train: exp.spec.baseline.train as never };
  const root = exp.createNode({ parent: null, origin: 'root', title: 'baseline', plan: '# baseline\n', config, changes: [] });
  const executor = new NodeExecutor(exp, backend, { reuse: { dedupe: true, data_cache: true, warm_start: false }, threads: 1 });
  assert.equal(await executor.run(root, new AbortController().signal), 'succeeded');
  const fork = exp.createNode({ parent: root, origin: 'fork', title: 'same', plan: '# same\n', config, changes: [] });
  assert.equal(await executor.run(fork, new AbortController().signal), 'succeeded');
  const r = exp.tree.get(fork).result!;
  assert.equal(r.reusedFrom, root);
  assert.equal(r.computeMs, 0);
  assert.equal(r.score, exp.tree.get(root).result!.score);
  assert.equal(backend.started.filter((s) => s.stage === 'train').length, 1);
  exp.close();
});

test('a failing stage fails its node with the stage and the log tail, and the search goes on', async () => {
  const exp = experiment();
  let trains = 0;
  const backend = new MemoryBackend(exp.dir, (s) => {
    if (s.stage === 'train' && ++trains === 2) return { exitCode: 3, log: 'Traceback: CUDA out of memory\n' };
    return microStageOutputs(s, 'exact_match', { validation: scoreOf(exp, s.nodeId) });
  });
  const summary = await new Search(exp, { backend, proposer: new OfflineProposer(), budget: { max_runs: 4 }, parallel: 1 }).run(new AbortController().signal);
  const failed = [...exp.tree.nodes.values()].filter((n) => n.status === 'failed');
  assert.equal(failed.length, 1);
  assert.equal(failed[0].failure?.stage, 'train');
  assert.match(failed[0].failure?.reason ?? '', /out of memory|exit/i);
  assert.ok(summary.runs >= 3, 'the search went on after the failure');
  exp.close();
});

test('no more stages run at once than the parallel slots, and a stop cancels the running ones', async () => {
  const exp = experiment();
  let running = 0;
  let peak = 0;
  const gates: (() => void)[] = [];
  const backend = new MemoryBackend(exp.dir, (s) => {
    if (s.stage !== 'train') return microStageOutputs(s, 'exact_match', { validation: 0.5 });
    running++;
    peak = Math.max(peak, running);
    return new Promise((resolve) => gates.push(() => ((running--), resolve(microStageOutputs(s, 'exact_match', { validation: scoreOf(exp, s.nodeId) })))));
  });
  const controller = new AbortController();
  const search = new Search(exp, { backend, proposer: new OfflineProposer(), budget: { max_runs: 8 }, parallel: 2 });
  const done = search.run(controller.signal);
  // Let trains finish one at a time until four have, then stop with others still running.
  let released = 0;
  while (released < 4) {
    await new Promise((r) => setImmediate(r));
    const g = gates.shift();
    if (g) {
      g();
      released++;
    }
  }
  while (running === 0) await new Promise((r) => setImmediate(r));
  controller.abort();
  const summary = await done;
  assert.equal(summary.reason, 'stopped');
  assert.ok(peak <= 2, `at most 2 trains at once, saw ${peak}`);
  assert.equal(peak, 2, 'both slots were used');
  const statuses = [...exp.tree.nodes.values()].map((n) => n.status);
  assert.ok(!statuses.includes('running'), `nothing is left running after a stop: ${statuses.join(',')}`);
  exp.close();
});

test('NodeExecutor on its own: one node, its metrics and compute from the backend\'s clock', async () => {
  const exp = experiment();
  const id = exp.createNode({ parent: null, origin: 'root', title: 'baseline', plan: '# baseline\n', config: { recipe: exp.spec.baseline.recipe as never, train: exp.spec.baseline.train as never }, changes: [] });
  const executor = new NodeExecutor(exp, scoredBackend(exp, 2500), { reuse: { dedupe: true, data_cache: true, warm_start: false }, threads: 1 });
  assert.equal(await executor.run(id, new AbortController().signal), 'succeeded');
  const node = exp.tree.get(id);
  assert.equal(node.result?.score, scoreOf(exp, id));
  assert.equal(node.result?.computeMs, 3 * 2500, 'three stages of 2.5 virtual seconds');
  exp.close();
});
