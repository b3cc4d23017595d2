// The offline proposer's main-effects surrogate: knob values are judged by every result in the
// tree, two moves that each helped are combined at once, and on a plateau two untried moves are
// tried together.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { computeInsights, Experiment, getPath, initExperiment, MemoryBackend, microStageOutputs, NodeExecutor, OfflineProposer, readExample, Rng, setPath, type NodeConfig } from '../../src/engine';
import { fitMainEffects } from '../../src/engine/proposers/surrogate';
import { tempDir } from '../helpers/cli';

/** Deterministic landscape: a higher learning rate and more epochs score higher, independently. */
function scoreOf(c: NodeConfig): number {
  const t = c.train as { learning_rate: number; epochs: number };
  return t.learning_rate * 20 + t.epochs / 100;
}

async function scoredTree(score: (c: NodeConfig) => number = scoreOf): Promise<{ exp: Experiment; root: string }> {
  const exp = (() => {
    const dir = tempDir('trex-unit-surrogate-');
    initExperiment(dir, readExample('addition').text);
    return Experiment.open(dir);
  })();
  const backend = new MemoryBackend(exp.dir, (s) => microStageOutputs(s, 'exact_match', { validation: score(exp.readNodeConfig(s.nodeId)) }));
  const executor = new NodeExecutor(exp, backend, { reuse: { dedupe: true, data_cache: true, warm_start: false }, threads: 1 });
  const base: NodeConfig = { recipe: exp.spec.baseline.recipe as never, train: exp.spec.baseline.train as never };
  const root = exp.createNode({ parent: null, origin: 'root', title: 'baseline', plan: '# baseline\n', config: base, changes: [] });
  const edits: [string, number][] = [['train.learning_rate', 0.01], ['train.epochs', 10], ['train.learning_rate', 0.001]];
  const ids = [root];
  for (const [path, to] of edits) ids.push(exp.createNode({ parent: root, origin: 'proposer', title: `${path}=${to}`, plan: '# edit\n', config: setPath(base, path, to), changes: [{ path, from: getPath(base, path), to }] }));
  for (const id of ids) assert.equal(await executor.run(id, new AbortController().signal), 'succeeded');
  return { exp, root };
}

test('the surrogate estimates a change from every result with each value (marginal means)', async () => {
  const { exp } = await scoredTree();
  const paths = exp.spec.search_space.map((k) => k.path);
  const model = fitMainEffects(exp, paths);
  const scored = [...exp.tree.nodes.values()].map((n) => ({ config: exp.readNodeConfig(n.id), score: n.result!.score }));
  const meanWith = (path: string, v: number) => {
    const xs = scored.filter((s) => getPath(s.config, path) === v).map((s) => s.score);
    return xs.reduce((a, b) => a + b, 0) / xs.length;
  };
  const g = model.gain('train.learning_rate', 0.003, 0.01);
  assert.equal(g.nTo, 1);
  assert.equal(g.nFrom, 2, 'the baseline and the epochs child ran at 0.003');
  assert.ok(Math.abs(g.delta - (meanWith('train.learning_rate', 0.01) - meanWith('train.learning_rate', 0.003))) < 1e-12);
  assert.ok(g.delta > 0);
  assert.deepEqual(model.gain('train.finetuning', 'full', 'lora'), { delta: 0, nTo: 0, nFrom: 4 }, 'a value never scored has no estimate');
  exp.close();
});

test('with the surrogate, the proposer combines the two moves that each helped; without it, it tries one knob', async () => {
  const { exp, root } = await scoredTree();
  const ctx = { exp, parentId: root, k: 1, rng: new Rng(3), insights: computeInsights(exp.tree), knownHashes: new Set([...exp.tree.nodes.values()].map((n) => n.configHash)), guidance: '' };
  const withModel = await new OfflineProposer({ surrogate: true, temperature: 0.001 }).propose(ctx);
  assert.equal(withModel.proposals.length, 1);
  const p = withModel.proposals[0];
  assert.deepEqual(p.changes.map((c) => [c.path, c.to]).sort(), [['train.epochs', 10], ['train.learning_rate', 0.01]]);
  assert.ok(scoreOf(p.config) > Math.max(...[...exp.tree.nodes.values()].map((n) => n.result!.score)), 'the combination beats every result so far');
  // With combine: 'helped', while single moves remain the only pair offered is the one of two moves that helped.
  const wide = await new OfflineProposer({ surrogate: true, combine: 'helped' }).propose({ ...ctx, k: 4 });
  assert.equal(wide.proposals.length, 4);
  const pairs = wide.proposals.filter((x) => x.changes.length === 2).map((x) => x.changes.map((c) => c.path).sort().join('+'));
  assert.deepEqual(pairs, ['train.epochs+train.learning_rate']);
  const plain = await new OfflineProposer({ surrogate: false, temperature: 0.001 }).propose(ctx);
  assert.equal(plain.proposals[0].changes.length, 1, 'one-knob mutation while single steps remain');
  exp.close();
});

test('on a plateau (no move changed the score) combine: any also offers pairs of untried moves; the default (helped) does not', async () => {
  const { exp, root } = await scoredTree(() => 0.5);
  // Four single moves are left unseen (lr 0.01, lr 0.001 and epochs 10 ran): k = 4 leaves room for them all.
  const ctx = { exp, parentId: root, k: 4, rng: new Rng(5), insights: computeInsights(exp.tree), knownHashes: new Set([...exp.tree.nodes.values()].map((n) => n.configHash)), guidance: '' };
  const untried = (path: string) => !['train.learning_rate', 'train.epochs'].includes(path);
  const withAny = await new OfflineProposer({ combine: 'any' }).propose(ctx);
  const untriedPairs = withAny.proposals.filter((p) => p.changes.length === 2 && p.changes.every((c) => untried(c.path)));
  assert.ok(untriedPairs.length > 0, 'two knobs never moved are probed in one run');
  for (const p of untriedPairs) assert.notEqual(p.changes[0].path, p.changes[1].path);
  const helpedOnly = await new OfflineProposer().propose(ctx);
  assert.ok(helpedOnly.proposals.length > 0);
  assert.ok(helpedOnly.proposals.every((p) => p.changes.length === 1), 'nothing helped, and single moves remain: no pairs');
  exp.close();
});
