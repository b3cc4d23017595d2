import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { computeInsights, configHash, Rng, type Experiment, type ProposalContext } from '../../../src/engine';
import { createLlmClient, LlmProposer, type ProposalReply } from '../../../src/engine/llm';
import type { FakeReply } from './fakeOpenAI';
import { useFakeServers } from './fakeServers';
import { cleanupTempDirs, newExperiment, testClient, testConfig } from './helpers';

const servers = useFakeServers({ research: false });

function ctx(exp: Experiment, k = 2, parentId = 'n0000'): ProposalContext {
  return {
    exp,
    parentId,
    k,
    rng: new Rng(1),
    insights: computeInsights(exp.tree),
    knownHashes: new Set([...exp.tree.nodes.values()].map((n) => n.configHash)),
    guidance: exp.readText('guidance.md') ?? '',
  };
}

const child = (title: string, edits: [string, unknown][], extra: Partial<{ hypothesis: string; rationale: string }> = {}) => ({
  title,
  hypothesis: extra.hypothesis ?? `${title} improves exact match`,
  rationale: extra.rationale ?? 'because the insights say so',
  evidence: ['insights.md'],
  edits: edits.map(([path, v]) => ({ path, value_json: typeof v === 'string' && v.startsWith('RAW:') ? v.slice(4) : JSON.stringify(v) })),
});

function proposer(exp: Experiment, settings = {}) {
  return new LlmProposer(exp, { client: testClient(testConfig(servers.fake.baseURL, settings)), research: false });
}

test('valid proposals become full, schema-valid configs with plans, changes and usage', async () => {
  const exp = newExperiment();
  writeFileSync(join(exp.dir, 'guidance.md'), '# Guidance\n\nPrefer the reversed template.\n');
  writeFileSync(join(exp.dir, 'insights.md'), '# Insights\n\nLower learning rates were unstable.\n');
  exp.emit({ type: 'node_result', id: 'n0000', result: { score: 0.25, testScore: 0.7731, metrics: {}, wallMs: 1, computeMs: 1, savedMs: 0 } });
  servers.fake.reply({
    json: {
      proposals: [
        child('reversed template', [['recipe.format.template', 'reversed']]),
        child('lr 3e-3 and more data', [['train.learning_rate', 0.003], ['recipe.sources.0.num_examples', 400]]),
      ],
    } satisfies ProposalReply,
    usage: { prompt_tokens: 2000, completion_tokens: 300 },
  });
  const r = await proposer(exp).propose(ctx(exp, 2));
  assert.deepEqual(r.dropped, []);
  assert.equal(r.proposals.length, 2);
  const [a, b] = r.proposals;
  assert.equal((a.config.recipe.format as { template: string }).template, 'reversed');
  assert.deepEqual(a.changes, [{ path: 'recipe.format.template', from: 'plain', to: 'reversed' }]);
  assert.equal(b.config.train.learning_rate, 0.003);
  assert.equal(b.changes.length, 2);
  assert.match(a.plan, /## Hypothesis\n\nreversed template improves exact match/);
  assert.match(a.plan, /## Changes vs n0000\n\n- `recipe\.format\.template`: "plain" → "reversed"/);
  assert.equal(r.usage?.tokens, 2300);
  const prompt = servers.fake.requests[servers.fake.requests.length - 1].body.messages.map((m) => String(m.content)).join('\n');
  assert.match(prompt, /Prefer the reversed template/);
  assert.match(prompt, /Lower learning rates were unstable/);
  assert.match(prompt, /train\.learning_rate: number \(>0, ≤1\)/);
  assert.match(prompt, /exact_match=0\.2500/);
  assert.doesNotMatch(prompt, /0\.773/, 'test scores never reach the proposer');
  assert.match(prompt, /Propose exactly 2 child/);
});

test('invalid proposals go back to the model with the validation errors; fixed ones are accepted', async () => {
  const exp = newExperiment();
  servers.fake.reply(
    {
      json: {
        proposals: [
          child('too hot', [['train.learning_rate', 5]]),
          child('bad path', [['model.layers', 4]]),
          child('bad json', [['train.epochs', 'RAW:two']]),
          child('good', [['train.epochs', 2]]),
        ],
      },
    },
    { json: { proposals: [child('lr 3e-4', [['train.learning_rate', 0.0003]])] } },
  );
  const n0 = servers.fake.requests.length;
  const r = await proposer(exp).propose(ctx(exp, 2));
  assert.deepEqual(r.proposals.map((p) => p.title), ['good', 'lr 3e-4']);
  assert.deepEqual(r.dropped, []);
  const feedback = servers.fake.requests[n0 + 1].lastMessage;
  assert.match(feedback, /"too hot": train\.yaml field 'learning_rate': must be <= 1/);
  assert.match(feedback, /"bad path": edit 1 \("model\.layers"\): path must start with 'recipe' or 'train'/);
  assert.match(feedback, /"bad json": edit 1 .*value_json is not valid JSON/);
  assert.match(feedback, /Accepted so far: "good"/);
  assert.match(feedback, /Propose 1 more child/);
});

test('duplicates of known configs, of each other, and no-op edits are dropped with reasons', async () => {
  const exp = newExperiment();
  const root = exp.readNodeConfig('n0000');
  const existing = { recipe: root.recipe, train: { ...root.train, learning_rate: 0.003 } };
  exp.createNode({ parent: 'n0000', origin: 'proposer', title: 'lr 3e-3', plan: '#', config: existing, changes: [] });
  assert.ok([...exp.tree.nodes.values()].some((n) => n.configHash === configHash(exp.spec, existing)));
  servers.fake.reply({
    json: {
      proposals: [
        child('same as n0001', [['train.learning_rate', 0.003]]),
        child('epochs 2', [['train.epochs', 2]]),
        child('epochs 2 again', [['train.epochs', 2.0]]),
        child('nothing', [['train.learning_rate', 0.001]]),
      ],
    },
  });
  const r = await proposer(exp, { reply_attempts: 1 }).propose(ctx(exp, 3));
  assert.deepEqual(r.proposals.map((p) => p.title), ['epochs 2']);
  const reasons = r.dropped.map((d) => d.reason);
  assert.ok(reasons.includes('duplicate: "same as n0001" has the same config as n0001'), reasons.join('\n'));
  assert.ok(reasons.includes('duplicate: "epochs 2 again" has the same config as another proposal of this batch'), reasons.join('\n'));
  assert.ok(reasons.some((x) => /invalid proposal "nothing" after 1 attempt\(s\): the edits change nothing/.test(x)), reasons.join('\n'));
});

test('whole edits: replacing the train object, removing a field, appending a source', async () => {
  const exp = newExperiment();
  servers.fake.reply({
    json: {
      proposals: [
        child('new train', [['train', { framework: 'micro', learning_rate: 0.002, epochs: 3, batch_size: 16 }]]),
        child('two sources', [['recipe.sources.1', { name: 'more', kind: 'generator', generator: 'addition', num_examples: 100 }], ['recipe.format', null]]),
      ],
    },
  });
  const r = await proposer(exp).propose(ctx(exp, 2));
  assert.deepEqual(r.dropped, []);
  assert.equal(r.proposals[0].config.train.epochs, 3);
  assert.equal((r.proposals[1].config.recipe.sources as unknown[]).length, 2);
  assert.equal(r.proposals[1].config.recipe.format, undefined);
});

test('bounded rounds: still invalid at the end means dropped with the reason; the proposer never throws', async () => {
  const exp = newExperiment();
  servers.fake.reply({ json: { proposals: [child('x', [['train.batch_size', 0]])] } }, { json: { proposals: [child('x', [['train.batch_size', -1]])] } }, { content: 'no JSON at all' });
  const r = await proposer(exp).propose(ctx(exp, 1));
  assert.equal(r.proposals.length, 0);
  const reasons = r.dropped.map((d) => d.reason).join('\n');
  assert.match(reasons, /no usable proposals from the model after 3 attempt\(s\): malformed/);
  assert.match(reasons, /invalid proposal "x" after 3 attempt\(s\): train\.yaml field 'batch_size': must be >= 1/);
});

test('an exhausted LLM budget is reported once, and then proposals stop quietly', async () => {
  const exp = newExperiment();
  const p = new LlmProposer(exp, { client: createLlmClient(exp, testConfig(servers.fake.baseURL, { max_cost_usd: 0.000001 })), research: false });
  servers.fake.reply({ json: { proposals: [child('epochs 2', [['train.epochs', 2]])] }, usage: { prompt_tokens: 100000, completion_tokens: 0 } });
  const first = await p.propose(ctx(exp, 1));
  assert.equal(first.proposals.length, 1);
  // What the search runner does with ProposalResult.usage:
  exp.emit({ type: 'usage', id: 'n0000', role: 'researcher', tokens: first.usage!.tokens, costUsd: first.usage!.costUsd });
  const n = servers.fake.requests.length;
  const second = await p.propose(ctx(exp, 1));
  assert.equal(second.proposals.length, 0);
  assert.match(second.dropped[0].reason, /budget: LLM budget exhausted/);
  const third = await p.propose(ctx(exp, 1));
  assert.deepEqual(third.dropped, []);
  assert.equal(servers.fake.requests.length, n, 'no calls once the budget is spent');
});

// ---- fuzz: at least 200 bad replies, each must end with a clear reason and no crash ----

function fuzzReplies(): FakeReply[] {
  const out: FakeReply[] = [];
  const garbage = ['', ' ', 'null', '[]', '{}', '{"proposals": null}', '{"proposals": {}}', '{"proposals": [1,2,3]}', '{"proposals": "x"}', 'true', '42', '"text"', '{"proposals": [{}]}', '<html>oops</html>', '{"proposals": [', '}}}', '\u0000\u0001', 'ｐｒｏｐｏｓａｌｓ', '{"proposals": [{"title": 1}]}', '```json\n{"proposals": 3}\n```'];
  for (const g of garbage) out.push({ content: g });
  const badEdits: [string, unknown][][] = [
    [['train.learning_rate', 0]],
    [['train.learning_rate', -1]],
    [['train.learning_rate', 'fast']],
    [['train.learning_rate', null]],
    [['train.batch_size', 1.5]],
    [['train.epochs', 0]],
    [['train.framework', 'pytorch']],
    [['train.method', 'rlhf']],
    [['train.lr_scheduler', 'step']],
    [['train.unknown_knob', 1]],
    [['train.lora', 'big']],
    [['train.lora.rank', 0]],
    [['recipe.sources', []]],
    [['recipe.sources', null]],
    [['recipe.sources.5.num_examples', 10]],
    [['recipe.sources.0.num_examples', 0]],
    [['recipe.sources.0.kind', 'magic']],
    [['recipe.sources.x', 1]],
    [['recipe.format.template', 5]],
    [['recipe.mixing.total', -3]],
    [['recipe.split.validation', 0.9]],
    [['recipe.bogus', true]],
    [['recipe', 'not an object']],
    [['train', []]],
    [['recipe.__proto__.polluted', 1]],
    [['train..learning_rate', 0.1]],
    [['', 1]],
    [['train.', 1]],
    [['TRAIN.learning_rate', 0.1]],
    [['train.learning_rate', 'RAW:NaN']],
    [['train.learning_rate', 'RAW:1e999']],
    [['train.learning_rate', 'RAW:{']],
    [['train.learning_rate', 'RAW:']],
    [['recipe.sources.0', 'RAW:[1,2]']],
    [['recipe.sources.0.name', '']],
    [],
  ];
  for (const e of badEdits) out.push({ json: { proposals: [child('bad edit', e)] } });
  // Schema violations of the reply itself.
  const shapes: unknown[] = [
    { proposals: [{ title: 'x' }] },
    { proposals: [{ ...child('x', [['train.epochs', 2]]), edits: 'train.epochs=2' }] },
    { proposals: [{ ...child('x', [['train.epochs', 2]]), edits: [{ path: 'train.epochs', value: 2 }] }] },
    { proposals: [{ ...child('x', [['train.epochs', 2]]), extra: 1 }] },
    { proposals: [{ ...child('x', [['train.epochs', 2]]), evidence: 'one' }] },
    { proposals: [child('', [['train.epochs', 2]])] },
    { proposals: [child('blank hypothesis', [['train.epochs', 2]], { hypothesis: '   ' })] },
    { proposals: [child('blank rationale', [['train.epochs', 2]], { rationale: '' })] },
    { proposals: [child('too many', Array.from({ length: 20 }, (_, i) => ['train.seed', i] as [string, unknown]))] },
    { proposals: [] },
    { proposal: [child('typo', [['train.epochs', 2]])] },
    { proposals: [child('x', [['train.epochs', 2]])], extra: 'field' },
  ];
  for (const s of shapes) out.push({ json: s });
  out.push({ refusal: 'I will not do that' }, { content: 'x', finishReason: 'content_filter' }, { content: '{"proposals": [', finishReason: 'length' });
  out.push({ toolCalls: [{ name: 'proposals', arguments: '{}' }] }, { toolCalls: [{ name: 'rm_rf', arguments: { path: '/' } }] });
  out.push({ truncated: true }, { huge: 3 * 1024 * 1024 });
  for (const status of [400, 401, 403, 404, 408, 409, 413, 422, 429, 500, 502, 503, 504]) out.push({ status, retryAfter: '0' });
  out.push({ raw: 'not json at all', status: 200 }, { raw: '{"choices": []}' }, { raw: '{"choices": [{"message": null}]}' }, { raw: '{"id": 1}' }, { raw: '[]' }, { raw: '{"choices": "x"}' });
  out.push({ raw: '{"choices":[{"index":0,"message":{"role":"assistant","content":42},"finish_reason":"stop"}]}' });
  out.push({ raw: '{"choices":[{"index":0,"message":{"role":"assistant","content":"{}","tool_calls":"bad"},"finish_reason":"stop"}]}' });
  out.push({ raw: '<html><body>502 Bad Gateway</body></html>', status: 502, contentType: 'text/html' });
  // Seeded mutations of a valid reply: cut at many points, and characters swapped.
  const valid = JSON.stringify({ proposals: [child('fine', [['train.epochs', 2]])] });
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (let i = 0; i < 60; i++) out.push({ content: valid.slice(0, 1 + Math.floor(rand() * (valid.length - 2))) });
  for (let n = 0; n < 60; ) {
    const at = 1 + Math.floor(rand() * (valid.length - 2));
    const chars = '{}[]",:\\x0';
    const junk = chars[Math.floor(rand() * chars.length)];
    const mutated = valid.slice(0, at) + junk + valid.slice(at + 1);
    try {
      JSON.parse(mutated);
    } catch {
      out.push({ content: mutated });
      n++;
    }
  }
  return out;
}

test('fuzz: 200+ bad replies, streamed and not, end in dropped proposals with clear reasons and no crash', async () => {
  const base = fuzzReplies();
  const cases: { reply: FakeReply; stream: boolean }[] = [];
  for (const [i, reply] of base.entries()) cases.push({ reply, stream: i % 2 === 1 });
  assert.ok(base.length >= 200, `distinct bad replies: ${base.length}`);
  const exp = newExperiment();
  const streamed = proposer(exp, { reply_attempts: 1, max_reply_bytes: 256 * 1024, timeout_ms: 1500, stream: true });
  const plain = proposer(exp, { reply_attempts: 1, max_reply_bytes: 256 * 1024, timeout_ms: 1500 });
  const kinds = new Map<string, number>();
  for (const [i, c] of cases.entries()) {
    servers.fake.reply(c.reply);
    const r = await (c.stream ? streamed : plain).propose(ctx(exp, 1));
    const label = `case ${i} (${JSON.stringify(c.reply).slice(0, 120)}, stream=${c.stream})`;
    assert.equal(r.proposals.length, 0, label);
    assert.ok(r.dropped.length >= 1, `${label}: no reason recorded`);
    for (const d of r.dropped) {
      assert.equal(typeof d.reason, 'string');
      assert.ok(d.reason.length > 10 && d.reason.length < 4000, `${label}: ${d.reason}`);
      assert.doesNotMatch(d.reason, /undefined|\[object Object\]|sk-test-secret-key/, `${label}: ${d.reason}`);
      const kind = /^(no usable proposals.*?: (\w+)|invalid proposal|duplicate|the model proposed)/.exec(d.reason);
      assert.ok(kind, `${label}: unexpected reason shape: ${d.reason}`);
      const k = kind[2] ?? kind[1];
      kinds.set(k, (kinds.get(k) ?? 0) + 1);
    }
  }
  assert.equal(servers.fake.pending, 0);
  for (const expected of ['malformed', 'schema', 'refusal', 'truncated', 'too_large', 'http', 'rate_limited', 'invalid proposal']) assert.ok(kinds.has(expected), `no ${expected} case: ${[...kinds.keys()].join(', ')}`);
});
