import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng, searchSettings, type SelectionContext, type TaskSpec, type PolicyName } from '../../../src/engine';
import { policyByName } from '../../../src/engine/search/policies';
import type { ExperimentTree } from '../../../src/engine';
import { TreeBuilder } from '../../helpers/treeBuilder';
import { budgetedUct, DEFAULT_UCT_TUNING } from '../../../src/engine/search/uct';

const ENDGAME_RUNS = DEFAULT_UCT_TUNING.endgame;

function ctx(tree: ExperimentTree, over: Partial<ReturnType<typeof searchSettings>> = {}, exhausted: string[] = [], budget: Pick<SelectionContext, 'runsLeft' | 'runsBudget'> = {}): SelectionContext {
  const settings = { ...searchSettings({ search: {} } as unknown as TaskSpec), ...over };
  return { tree, settings, rng: new Rng(1), isExhausted: (id) => exhausted.includes(id), ...budget };
}

const select = (p: PolicyName, c: SelectionContext) => policyByName(p).select(c);

test('greedy expands the best scored node and skips failed, pending and pruned ones', () => {
  const tree = new TreeBuilder().node('r', null, 0.2).node('a', 'r', 0.5).node('b', 'r', 0.9).node('c', 'r', 'failed').node('d', 'r', 'pending').build();
  assert.equal(select('greedy', ctx(tree)), 'b');
  const pruned = new TreeBuilder().node('r', null, 0.2).node('a', 'r', 0.5).node('b', 'r', 0.9).prune('b').build();
  assert.equal(select('greedy', ctx(pruned)), 'a');
  assert.equal(select('greedy', ctx(tree, {}, ['b'])), 'a', 'an exhausted node is not expanded');
});

test('greedy honours a minimize goal', () => {
  const tree = new TreeBuilder('minimize').node('r', null, 2.0).node('a', 'r', 0.5).node('b', 'r', 1.5).build();
  assert.equal(select('greedy', ctx(tree)), 'a');
});

test('sequential expands the newest expandable node', () => {
  const tree = new TreeBuilder().node('n0', null, 0.9).node('n1', 'n0', 0.1).node('n2', 'n0', 0.5).node('n3', 'n1', 'failed').build();
  assert.equal(select('sequential', ctx(tree)), 'n2');
});

test('random picks only expandable nodes, reproducibly for a seed', () => {
  const tree = new TreeBuilder().node('r', null, 0.2).node('a', 'r', 0.5).node('b', 'r', 'failed').node('c', 'r', 'running').build();
  const seen = new Set<string>();
  const c = ctx(tree);
  for (let i = 0; i < 200; i++) seen.add(select('random', c)!);
  assert.deepEqual([...seen].sort(), ['a', 'r']);
  const a = ctx(tree);
  const b = ctx(tree);
  const seqA = Array.from({ length: 20 }, () => select('random', a));
  const seqB = Array.from({ length: 20 }, () => select('random', b));
  assert.deepEqual(seqA, seqB);
});

test('uct expands the root first, then widens it only as visits accumulate', () => {
  const single = new TreeBuilder().node('r', null, 0.3).build();
  assert.equal(select('uct', ctx(single)), 'r');
  // Root has 3 children (one expansion); with 4 visits and alpha=0.5 it may take 2 expansions = 6 children.
  const t = new TreeBuilder().node('r', null, 0.3).node('a', 'r', 0.4).node('b', 'r', 0.6).node('c', 'r', 0.5).build();
  assert.equal(select('uct', ctx(t, { children_per_expansion: 3, widening: { k: 1, alpha: 0.5 } })), 'r');
  // With alpha=0 the root is capped at one expansion, so UCT descends into a child.
  const child = select('uct', ctx(t, { children_per_expansion: 3, widening: { k: 1, alpha: 0 }, exploration: 0 }));
  assert.equal(child, 'b', 'without exploration the best child is expanded');
});

test('uct exploration constant trades the best subtree for the less visited one', () => {
  const b = new TreeBuilder().node('r', null, 0.0).node('a', 'r', 0.8).node('b', 'r', 0.7);
  // a's subtree is well visited; b has a single visit.
  for (let i = 0; i < 12; i++) b.node(`a${i}`, 'a', 0.3);
  const tree = b.build();
  const over = { children_per_expansion: 2, widening: { k: 1, alpha: 0 } };
  const exploit = select('uct', ctx(tree, { ...over, exploration: 0 }, tree.get('a').children));
  const explore = select('uct', ctx(tree, { ...over, exploration: 2 }, tree.get('a').children));
  assert.equal(exploit, 'a');
  assert.equal(explore, 'b');
});

test('uct counts failed runs as failures and never expands them', () => {
  const tree = new TreeBuilder().node('r', null, 0.5).node('a', 'r', 'failed').node('b', 'r', 'failed').node('c', 'r', 0.6).build();
  const pick = select('uct', ctx(tree, { children_per_expansion: 3, widening: { k: 1, alpha: 0 }, exploration: 0.5 }));
  assert.equal(pick, 'c');
});

test('uct skips pruned subtrees and returns null when nothing is expandable', () => {
  const tree = new TreeBuilder().node('r', null, 0.5).node('a', 'r', 0.9).node('a1', 'a', 0.95).prune('a').build();
  const pick = select('uct', ctx(tree, { children_per_expansion: 1, widening: { k: 1, alpha: 0 } }, []));
  assert.notEqual(pick, 'a');
  assert.notEqual(pick, 'a1');
  const none = new TreeBuilder().node('r', null, 'failed').build();
  assert.equal(select('uct', ctx(none)), null);
  assert.equal(select('greedy', ctx(none)), null);
});

test('uct with a budget of 8 runs expands the best child before the root gets a fourth child', () => {
  // Five visits let the root widen (3 × ceil(0.5·√5) = 6 children allowed) without a budget.
  const t = new TreeBuilder().node('r', null, 0.3).node('a', 'r', 0.4).node('b', 'r', 0.6).node('c', 'r', 0.5).node('a1', 'a', 0.35).build();
  assert.equal(select('uct', ctx(t)), 'r', 'unbounded: the root widens');
  assert.equal(select('uct', ctx(t, {}, [], { runsLeft: 3, runsBudget: 8 })), 'b', 'budget 8: the best node is expanded');
  // Five runs spent and more left than the endgame: full UCT.
  assert.equal(select('uct', ctx(t, {}, [], { runsLeft: ENDGAME_RUNS + 1, runsBudget: 5 + ENDGAME_RUNS + 1 })), 'r', 'a longer budget: full UCT');
});

test('uct with a small budget skips exhausted, failed and pruned nodes and breaks ties by id', () => {
  const t = new TreeBuilder().node('r', null, 0.3).node('a', 'r', 0.6).node('b', 'r', 0.9).node('c', 'r', 'failed').node('d', 'r', 0.6).prune('b').build();
  assert.equal(select('uct', ctx(t, {}, [], { runsLeft: 4, runsBudget: 8 })), 'a');
  assert.equal(select('uct', ctx(t, {}, ['a'], { runsLeft: 4, runsBudget: 8 })), 'd');
  assert.equal(select('uct', ctx(t, {}, ['a', 'd', 'r'], { runsLeft: 4, runsBudget: 8 })), null);
});

test('uct proposes one child per expansion within a budget of 8 runs and the configured number beyond', () => {
  const t = new TreeBuilder().node('r', null, 0.3).build();
  const uct = policyByName('uct');
  assert.equal(uct.childrenPerExpansion?.(ctx(t, {}, [], { runsLeft: 7, runsBudget: 8 })), 1);
  assert.equal(uct.childrenPerExpansion?.(ctx(t, {}, [], { runsLeft: 15, runsBudget: 16 })), undefined);
  assert.equal(uct.childrenPerExpansion?.(ctx(t)), undefined, 'no run budget: children_per_expansion');
});

test('uct exploits the best node, one child at a time, once the runs left reach the endgame, whatever the budget', () => {
  const t = new TreeBuilder().node('r', null, 0.3).node('a', 'r', 0.4).node('b', 'r', 0.6).node('c', 'r', 0.5).node('a1', 'a', 0.35).build();
  const uct = policyByName('uct');
  for (const runsBudget of [16, 100]) {
    const late = ctx(t, {}, [], { runsLeft: ENDGAME_RUNS, runsBudget });
    assert.equal(select('uct', late), 'b', `budget ${runsBudget}: the best node`);
    assert.equal(uct.childrenPerExpansion?.(late), 1);
  }
  assert.equal(select('uct', ctx(t, {}, [], { runsLeft: ENDGAME_RUNS + 1, runsBudget: 100 })), 'r', 'before the endgame: full UCT widens the root');
});

test('a UCT tuning with exploration decay explores less as the short budget runs out', () => {
  const b = new TreeBuilder().node('r', null, 0.0).node('a', 'r', 0.8).node('b', 'r', 0.7);
  for (let i = 0; i < 12; i++) b.node(`a${i}`, 'a', 0.3);
  const tree = b.build();
  const decaying = budgetedUct({ ...DEFAULT_UCT_TUNING, endgame: 0, explorationDecay: 1 });
  const over = { children_per_expansion: 2, widening: { k: 1, alpha: 0 }, exploration: 0.5 };
  assert.equal(decaying.select(ctx(tree, over, tree.get('a').children, { runsLeft: 16, runsBudget: 16 })), 'b', 'the whole budget left: explores');
  assert.equal(decaying.select(ctx(tree, over, tree.get('a').children, { runsLeft: 1, runsBudget: 16 })), 'a', 'one run left: exploits');
});
