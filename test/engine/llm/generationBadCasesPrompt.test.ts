// The Researcher sees a generation node's error slices and what it fixed and broke against its
// parent: bad_cases.md, written from the two nodes' predictions, reaches the proposal prompt that
// the proposer sends over real HTTP to the fake OpenAI-compatible server, within the prompt's budget.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { computeInsights, Rng, type Experiment, type ProposalContext } from '../../../src/engine';
import { analyzeBadCases, LlmProposer } from '../../../src/engine/llm';
import { estimateTokens } from '../../../src/engine/llm/tokenEstimate';
import { PROMPT_TOKENS } from '../../../src/engine/proposers/llm/prompt';
import { useFakeServers } from './fakeServers';
import { newExperiment, testClient, testConfig } from './helpers';

const servers = useFakeServers({ research: false });

function ctx(exp: Experiment, parentId: string): ProposalContext {
  return { exp, parentId, k: 1, rng: new Rng(1), insights: computeInsights(exp.tree), knownHashes: new Set([...exp.tree.nodes.values()].map((n) => n.configHash)), guidance: '' };
}

/** Validation predictions of an addition model: `wrong(i)` says which of the 30 sums it got wrong. */
function predictions(wrong: (i: number) => boolean): string {
  return Array.from({ length: 30 }, (_, i) => {
    const a = 7 * i ** 3 + 3;
    const expected = String(a + 11);
    return JSON.stringify({ split: 'validation', prompt: `${a}+11=`, expected, predicted: wrong(i) ? expected.slice(0, -1) : expected, correct: !wrong(i) });
  }).join('\n');
}

test('the proposal prompt shows the parent node’s error slices and its fixed/broken examples against its own parent', async () => {
  const exp = newExperiment();
  const result = (score: number) => ({ score, metrics: {}, wallMs: 1, computeMs: 1, savedMs: 0 });
  exp.emit({ type: 'node_result', id: 'n0000', result: result(0.5) });
  const config = exp.readNodeConfig('n0000');
  const child = exp.createNode({ parent: 'n0000', origin: 'fork', title: 'lr 3e-3', plan: '# lr\n', config: { ...config, train: { ...config.train, learning_rate: 0.003 } }, changes: [{ path: 'train.learning_rate', from: 0.001, to: 0.003 }] });
  exp.emit({ type: 'node_result', id: child, result: result(0.6) });
  // The root gets the short sums right and the long ones wrong; the child fixes 6 long ones and breaks 3 short ones.
  writeFileSync(exp.nodePath('n0000', 'predictions.jsonl'), predictions((i) => i >= 15));
  writeFileSync(exp.nodePath(child, 'predictions.jsonl'), predictions((i) => (i >= 15 && i < 24) || i < 3));
  const report = (await analyzeBadCases(exp, child))!;
  assert.deepEqual([report.parentDiff?.fixed, report.parentDiff?.broken, report.parentDiff?.stillWrong], [6, 3, 9]);

  servers.fake.reply({ json: { proposals: [] } });
  await new LlmProposer(exp, { client: testClient(testConfig(servers.fake.baseURL)), research: false }).propose(ctx(exp, child));
  const request = servers.fake.requests.find((r) => r.kind === 'proposals');
  assert.ok(request, 'a proposal request reached the server');
  const prompt = String(request.body.messages[1].content);
  assert.ok(prompt.includes(`## Bad cases of ${child} (wrong validation predictions)`));
  const slices = report.slices!;
  const ref = slices.byReferenceLength.map((s) => `${s.name} ${s.wrong}/${s.count} wrong`);
  assert.ok(ref.length >= 2, JSON.stringify(slices));
  assert.ok(prompt.includes(`- reference length: ${ref[0]}`), 'error rate by reference length');
  assert.ok(prompt.includes('- prompt length: '), 'error rate by prompt length');
  assert.ok(prompt.includes(`## Against the parent n0000 (same validation examples)`));
  assert.ok(prompt.includes('Of 30 validation examples both predicted: 6 fixed (wrong in n0000, right here), 3 broken (right in n0000, wrong here), 9 wrong in both.'));
  assert.ok(prompt.includes('Fixed (3 of 6):') && prompt.includes('Broken (3 of 3):'), 'a few examples of each');
  assert.ok(estimateTokens(prompt) <= PROMPT_TOKENS, `${estimateTokens(prompt)} tokens, budget ${PROMPT_TOKENS}`);
  exp.close();
});
