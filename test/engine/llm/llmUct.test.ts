// Selection with judgement (policy llm-uct) against the fake OpenAI-compatible server: UCT
// shortlists, the model picks from the shortlist and the kind of step, the choice is recorded on
// the node and reaches the proposal prompt; an unusable pick or a failing endpoint leaves UCT's
// pick standing and says so.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { computeInsights, OfflineProposer, Rng, Search, searchSettings, summarizeTree, type Experiment, type SelectionContext } from '../../../src/engine';
import { LlmProposer, selectProposer } from '../../../src/engine/llm';
import { llmExpansionJudge } from '../../../src/engine/proposers/llm/expansionJudge';
import { chooseExpansion, shortlist } from '../../../src/engine/search/llmUct';
import { policyByName } from '../../../src/engine/search/policies';
import { oneEditIdea } from './llmSearch';
import { fakeLlmEnv, useFakeServers } from './fakeServers';
import { MICRO_SPEC, newExperiment, testClient, testConfig } from './helpers';
import { scriptedLlm } from './scriptedLlm';
import { testBackend } from './testBackend';

const servers = useFakeServers({ research: true });

const result = (score: number) => ({ score, metrics: {}, wallMs: 1, computeMs: 1, savedMs: 0 });

/** The baseline and three scored children: UCT ranks the children by score. */
function scoredTree(): Experiment {
  const exp = newExperiment();
  exp.emit({ type: 'node_result', id: 'n0000', result: result(0.3) });
  [0.6, 0.5, 0.4].forEach((score, i) => {
    const config = exp.readNodeConfig('n0000');
    const lr = [0.003, 0.0003, 0.002][i];
    const id = exp.createNode({ parent: 'n0000', origin: 'proposer', title: `lr ${lr}`, plan: '# p\n', config: { ...config, train: { ...config.train, learning_rate: lr } }, changes: [{ path: 'train.learning_rate', from: 0.001, to: lr }], proposer: 'llm' });
    exp.emit({ type: 'node_result', id, result: result(score) });
  });
  return exp;
}

function selection(exp: Experiment): SelectionContext {
  return { tree: exp.tree, settings: { ...searchSettings(exp.spec), policy: 'llm-uct' }, rng: new Rng(1), isExhausted: () => false };
}

const judge = () => llmExpansionJudge(testClient(testConfig(servers.fake.baseURL)));

test('llm-uct: the model picks a shortlisted node other than UCT’s first, and the node records the kind and the reason', async () => {
  const exp = scoredTree();
  const policy = policyByName('llm-uct');
  const list = shortlist(policy, selection(exp));
  assert.equal(list.length, 3);
  assert.equal(list[0], policy.select(selection(exp)), 'the shortlist starts with the formula’s own pick');
  const pick = list[2];
  servers.fake.reply({ json: { id: pick, kind: 'explore', reason: `${pick} is the only branch with a lower learning rate left unexplored` }, usage: { prompt_tokens: 700, completion_tokens: 40 } });
  const before = exp.tree.usage.tokens;

  const choice = await chooseExpansion(exp, policy, selection(exp), judge());

  assert.equal(choice?.id, pick);
  assert.notEqual(choice?.id, list[0]);
  assert.deepEqual(choice?.step, { kind: 'explore', reason: `${pick} is the only branch with a lower learning rate left unexplored` });
  const req = servers.fake.requests[servers.fake.requests.length - 1];
  assert.equal(req.kind, 'expansion');
  const prompt = req.body.messages.map((m) => String(m.content)).join('\n');
  for (const id of list) assert.match(prompt, new RegExp(`\\b${id}\\b`));
  assert.match(prompt, /Shortlist \(UCT order, best first\)/);
  assert.match(prompt, /Noise of the metric/);
  const recorded = exp.tree.get(pick).expansions;
  assert.equal(recorded?.length, 1);
  assert.equal(recorded?.[0].kind, 'explore');
  assert.equal(recorded?.[0].fallback, false);
  assert.deepEqual(recorded?.[0].shortlist, list);
  assert.equal(exp.tree.usage.tokens - before, 740, 'the call’s tokens are in the tree');
  const summary = summarizeTree(exp.tree).nodes.find((n) => n.id === pick);
  assert.deepEqual(summary?.expansion, { kind: 'explore', reason: `${pick} is the only branch with a lower learning rate left unexplored`, fallback: false });
  exp.close();
});

test('llm-uct: a pick off the shortlist, a broken reply or a failing endpoint leaves UCT’s pick standing, and says so', async () => {
  const exp = scoredTree();
  const policy = policyByName('llm-uct');
  const first = shortlist(policy, selection(exp))[0];
  servers.fake.reply(
    { json: { id: 'n0000', kind: 'improve', reason: 'the baseline' } }, // schema-valid shape, but not on the shortlist
    { content: '{"id": "n00' }, // broken JSON
    { status: 500, body: '{"error":{"message":"upstream down"}}' },
  );
  for (let i = 0; i < 3; i++) {
    const choice = await chooseExpansion(exp, policy, selection(exp), judge());
    assert.equal(choice?.id, first, `attempt ${i}: UCT's pick`);
    assert.equal(choice?.step, undefined, 'no step is claimed for a fallback');
  }
  const recorded = exp.tree.get(first).expansions ?? [];
  assert.equal(recorded.length, 3);
  for (const r of recorded) {
    assert.equal(r.fallback, true);
    assert.equal(r.kind, undefined);
    assert.match(r.reason, /UCT's pick: the Researcher's choice was unusable/);
  }
  assert.match(recorded[2].reason, /500|upstream down/);
  exp.close();
});

test('llm-uct: one candidate needs no judgement (no call); the chosen kind reaches the proposal prompt and the child’s plan', async () => {
  const exp = newExperiment();
  exp.emit({ type: 'node_result', id: 'n0000', result: result(0.3) });
  const calls = servers.fake.requests.length;
  const alone = await chooseExpansion(exp, policyByName('llm-uct'), selection(exp), judge());
  assert.deepEqual(alone, { id: 'n0000' });
  assert.equal(servers.fake.requests.length, calls);

  servers.fake.reply({ json: { proposals: [oneEditIdea('reversed digits', 'recipe.format.template', 'reversed')] } });
  const proposer = new LlmProposer(exp, { client: testClient(testConfig(servers.fake.baseURL)), research: false });
  const step = { kind: 'debug' as const, reason: 'its children all failed with out-of-memory errors' };
  const r = await proposer.propose({ exp, parentId: 'n0000', k: 1, rng: new Rng(1), insights: computeInsights(exp.tree), knownHashes: new Set([exp.tree.get('n0000').configHash]), guidance: '', step });
  assert.equal(r.proposals.length, 1, JSON.stringify(r.dropped));
  const prompt = servers.fake.requests[servers.fake.requests.length - 1].body.messages.map((m) => String(m.content)).join('\n');
  assert.match(prompt, /# Step asked of this expansion: debug/);
  assert.match(prompt, /fix the problem its failed children or its bad cases show/);
  assert.match(prompt, /its children all failed with out-of-memory errors/);
  assert.match(r.proposals[0].plan, /## Why n0000 was expanded \(policy llm-uct\)\n\nStep: debug\. its children all failed/);
  exp.close();
});

test('llm-uct in a real search (micro task, local backend): the runner asks the judge, expands its pick and tells the proposer the step', { timeout: 900_000 }, async () => {
  const exp = newExperiment(MICRO_SPEC.replace('budget: { max_runs: 3 }', 'budget: { max_runs: 4 }'));
  const rest = scriptedLlm(() => exp.dir);
  let ideas = 0;
  const picks: string[] = [];
  servers.fake.handler = (req) => {
    if (req.kind === 'expansion') {
      // The last candidate of the shortlist: never the formula's own first choice.
      const ids = [...req.lastMessage.matchAll(/^\d\. (n\d{4})/gm)].map((m) => m[1]);
      picks.push(ids[ids.length - 1]);
      return { json: { id: ids[ids.length - 1], kind: 'explore', reason: 'its branch has the fewest children' } };
    }
    if (req.kind === 'proposals') return { json: { proposals: [oneEditIdea(`lr ${++ideas}`, 'train.learning_rate', Number((0.002 + 0.0005 * ideas).toFixed(4)))] } };
    return rest(req);
  };
  process.env.TREX_PYTHON ??= '/usr/bin/python3';
  const backend = await testBackend(exp.dir);
  const choice = selectProposer(exp, { requested: 'llm', env: { ...fakeLlmEnv(servers, 'sk-llm-uct'), TREX_RESEARCH: '0' }, backend, debugFailures: false });
  assert.ok(choice.llm, choice.notice);
  const search = new Search(exp, { backend, proposer: choice.proposer, judge: choice.llm.judge, policy: 'llm-uct', parallel: 1, settings: { final_seeds: 1 }, writeInsights: false, pollMs: 50 });
  try {
    const summary = await search.run(new AbortController().signal);
    assert.equal(summary.reason, 'budget');
  } finally {
    await choice.llm.close();
    await backend.close();
  }
  assert.ok(picks.length >= 1, 'the judge was asked once there were two candidates');
  const chosen = [...exp.tree.nodes.values()].filter((n) => n.expansions?.length);
  assert.ok(chosen.length >= 1);
  for (const n of chosen) {
    for (const x of n.expansions!) assert.deepEqual([x.kind, x.fallback, x.reason], ['explore', false, 'its branch has the fewest children']);
    assert.ok(picks.includes(n.id));
    assert.ok(n.children.some((c) => /Why .* was expanded \(policy llm-uct\)\n\nStep: explore/.test(exp.readText(`nodes/${c}/plan.md`) ?? '')), `a child of ${n.id} carries the step in its plan`);
  }
  const prompts = servers.fake.requests.filter((r) => r.kind === 'proposals').map((r) => r.lastMessage);
  assert.ok(prompts.some((p) => p.includes('# Step asked of this expansion: explore')));
  exp.close();
});

test('llm-uct without the LLM Researcher (offline proposer): the search selects as uct, says so once, and spends its budget', { timeout: 900_000 }, async () => {
  const exp = newExperiment(MICRO_SPEC.replace('search: { policy: greedy, children_per_expansion: 2 }', 'search: { policy: llm-uct, children_per_expansion: 1, final_seeds: 1 }'));
  assert.equal(searchSettings(exp.spec).policy, 'llm-uct', 'trex.yaml accepts policy llm-uct');
  process.env.TREX_PYTHON ??= '/usr/bin/python3';
  const backend = await testBackend(exp.dir);
  const notices: string[] = [];
  const search = new Search(exp, { backend, proposer: new OfflineProposer(), parallel: 1, writeInsights: false, pollMs: 50, onNotice: (m) => notices.push(m) });
  try {
    const summary = await search.run(new AbortController().signal);
    assert.equal(summary.reason, 'budget');
    assert.equal(summary.runs, 3);
  } finally {
    await backend.close();
  }
  assert.deepEqual(notices.filter((m) => m.includes('llm-uct')), ['policy llm-uct needs the LLM Researcher (--proposer llm with an endpoint): selecting by plain UCT.']);
  assert.ok([...exp.tree.nodes.values()].every((n) => !n.expansions), 'no judgement is recorded without a judge');
  exp.close();
});
