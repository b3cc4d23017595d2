// Policy llm-uct's deterministic parts: the shortlist is UCT's own order, the policy's own pick is
// UCT's, and the CLI refuses it with the offline proposer.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseArgs } from '../../../src/cli/args';
import { searchRequestFromFlags } from '../../../src/cli/runRequest';
import { POLICIES, Rng, searchSettings, shortlist, type SelectionContext, type TaskSpec } from '../../../src/engine';
import { ExperimentTree } from '../../../src/engine';
import { policyByName } from '../../../src/engine/search/policies';
import { TreeBuilder } from '../../helpers/treeBuilder';

function ctx(tree: ExperimentTree, exhausted: string[] = [], budget: Pick<SelectionContext, 'runsLeft' | 'runsBudget'> = {}): SelectionContext {
  const settings = { ...searchSettings({ search: {} } as unknown as TaskSpec), policy: 'llm-uct' as const };
  return { tree, settings, rng: new Rng(1), isExhausted: (id) => exhausted.includes(id), ...budget };
}

test('llm-uct is a policy name; its own pick is UCT’s, and its shortlist follows UCT’s order without repeats', () => {
  assert.ok(POLICIES.includes('llm-uct'));
  const tree = new TreeBuilder().node('r', null, 0.2).node('a', 'r', 0.5).node('b', 'r', 0.9).node('c', 'r', 0.7).node('d', 'r', 'failed').build();
  for (const budget of [{}, { runsLeft: 3, runsBudget: 6 }]) {
    const c = ctx(tree, [], budget);
    assert.equal(policyByName('llm-uct').select(c), policyByName('uct').select(c));
    const list = shortlist(policyByName('llm-uct'), c);
    assert.equal(list[0], policyByName('uct').select(c), 'the first candidate is the formula’s pick');
    assert.equal(new Set(list).size, list.length);
    assert.equal(list.length, 3);
    for (const id of list) assert.ok(['r', 'a', 'b', 'c'].includes(id), `${id} is expandable`);
    // Each next candidate is what UCT would pick with the earlier ones spent.
    assert.equal(list[1], policyByName('uct').select(ctx(tree, [list[0]], budget)));
    assert.equal(list[2], policyByName('uct').select(ctx(tree, [list[0], list[1]], budget)));
  }
  // Greedy within a small budget: the best three by score.
  assert.deepEqual(shortlist(policyByName('llm-uct'), ctx(tree, [], { runsLeft: 3, runsBudget: 6 })), ['b', 'c', 'a']);
  assert.deepEqual(shortlist(policyByName('llm-uct'), ctx(tree, ['b', 'c', 'a', 'r'])), [], 'nothing expandable, nothing shortlisted');
});

test('the CLI refuses --policy llm-uct with the offline proposer, and accepts it with the LLM', () => {
  const req = (flags: string[]) => searchRequestFromFlags(parseArgs(['run', 'exp', ...flags], new Set()), {});
  assert.throws(() => req(['--policy', 'llm-uct', '--proposer', 'offline']), /--policy llm-uct needs the LLM Researcher/);
  assert.equal(req(['--policy', 'llm-uct', '--proposer', 'llm']).policy, 'llm-uct');
  assert.equal(req(['--policy', 'llm-uct']).policy, 'llm-uct');
});

test('expansion_chosen and research_refreshed events from disk are checked before they are applied', () => {
  const base = [
    { seq: 0, t: 1, type: 'experiment_created', name: 'x', metric: 'acc', goal: 'maximize' },
    { seq: 1, t: 2, type: 'node_created', id: 'n0000', parent: null, origin: 'root', title: 'baseline', changes: [], configHash: 'h', recipeHash: 'r', status: 'pending' },
  ];
  const good = { seq: 2, t: 3, type: 'expansion_chosen', id: 'n0000', shortlist: ['n0000'], kind: 'debug', reason: 'its children failed', fallback: false };
  const bad: unknown[] = [
    { ...good, seq: 3, kind: 'rewrite-the-task' },
    { ...good, seq: 4, id: 'n0042' },
    { ...good, seq: 5, shortlist: ['../etc'] },
    { ...good, seq: 6, fallback: 'no' },
    { seq: 7, t: 4, type: 'research_refreshed', trigger: 'boredom', reason: 'r', ok: true },
    { seq: 8, t: 4, type: 'research_refreshed', trigger: 'plateau', reason: 3, ok: true },
  ];
  const problems: string[] = [];
  const tree = ExperimentTree.fromEvents([...base, good, ...bad, { seq: 9, t: 5, type: 'research_refreshed', trigger: 'failure_class', reason: 'a new kind of failure', ok: false }], (_i, why) => problems.push(why));
  assert.equal(problems.length, bad.length, problems.join(' | '));
  assert.deepEqual(tree.get('n0000').expansions?.map((x) => [x.kind, x.reason, x.fallback]), [['debug', 'its children failed', false]]);
  assert.equal(tree.lastSeq, 9);
});
