// Against a real provider, only when OPENAI_API_KEY is set (TREX_LLM_BASE_URL / TREX_LLM_MODEL
// pick another endpoint or model). Costs a fraction of a cent: one tiny structured call and one
// proposal, research off.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { computeInsights, Rng } from '../../../src/engine';
import { createLlmProposer, LlmClient, resolveLlmConfig, UsageMeter } from '../../../src/engine/llm';
import { cleanupTempDirs, newExperiment } from './helpers';

after(() => cleanupTempDirs());

const key = process.env.OPENAI_API_KEY;

test('real provider: a structured reply and one proposal', { timeout: 120_000 }, async (t) => {
  if (!key) {
    t.skip('OPENAI_API_KEY is not set: no real-provider smoke test');
    return;
  }
  const config = resolveLlmConfig(null, { ...process.env, TREX_LLM_API_KEY: '' }, { settings: { max_cost_usd: 0.05, research: { enabled: false } } });
  assert.ok(config);
  const client = new LlmClient(config, new UsageMeter({ prices: config.prices, limitUsd: 0.05 }));
  const r = await client.structured<{ sum: number }>({
    role: 'researcher',
    purpose: 'smoke',
    nodeId: null,
    name: 'sum',
    strict: true,
    schema: { type: 'object', additionalProperties: false, required: ['sum'], properties: { sum: { type: 'integer' } } },
    messages: [{ role: 'user', content: 'What is 17 + 25? Answer as JSON.' }],
  });
  assert.equal(r.value.sum, 42);
  const exp = newExperiment();
  const proposer = createLlmProposer(exp, config, undefined, { research: false, agents: false });
  const out = await proposer.propose({ exp, parentId: 'n0000', k: 1, rng: new Rng(1), insights: computeInsights(exp.tree), knownHashes: new Set([exp.tree.get('n0000').configHash]), guidance: '' });
  t.diagnostic(`proposals: ${out.proposals.map((p) => p.title).join(', ')}; dropped: ${out.dropped.map((d) => d.reason).join(' | ')}; usage ${JSON.stringify(out.usage)}`);
  assert.ok(out.proposals.length + out.dropped.length >= 1);
  assert.ok((out.usage?.tokens ?? 0) > 0);
  exp.close();
});
