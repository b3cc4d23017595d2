import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { getEventListeners } from 'node:events';
import { join } from 'node:path';
import { test } from 'node:test';
import { LlmError, readUsageLedger } from '../../../src/engine/llm';
import { useFakeServers } from './fakeServers';
import { cleanupTempDirs, tempDir, testClient, testConfig } from './helpers';

const servers = useFakeServers({ research: false });

const SCHEMA = { type: 'object', additionalProperties: false, required: ['answer'], properties: { answer: { type: 'integer' } } };
const ask = (client: ReturnType<typeof testClient>, attempts = 3) =>
  client.structured<{ answer: number }>({ role: 'researcher', purpose: 'test', nodeId: null, messages: [{ role: 'user', content: '1+1?' }], name: 'answer', schema: SCHEMA, strict: true, attempts });

async function rejects(p: Promise<unknown>, kind: string, pattern?: RegExp): Promise<LlmError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof LlmError, `expected LlmError, got ${String(e)}`);
    assert.equal(e.kind, kind, e.message);
    if (pattern) assert.match(e.message, pattern);
    return e;
  }
  assert.fail(`expected a ${kind} error`);
}

test('structured reply via response_format json_schema, validated, usage priced and in the ledger', async () => {
  const dir = tempDir();
  const ledger = join(dir, '.trex', 'llm-usage.jsonl');
  const client = testClient(testConfig(servers.fake.baseURL), undefined, ledger);
  servers.fake.reply({ json: { answer: 2 }, usage: { prompt_tokens: 1000, completion_tokens: 500 } });
  const r = await ask(client);
  assert.deepEqual(r.value, { answer: 2 });
  const req = servers.fake.requests[servers.fake.requests.length - 1];
  assert.equal(req.body.response_format?.json_schema?.name, 'answer');
  assert.equal(req.body.response_format?.json_schema?.strict, true);
  assert.equal(req.headers.authorization, 'Bearer sk-test-secret-key');
  // gpt-4o-mini: $0.15 / $0.60 per 1M
  const expected = (1000 * 0.15 + 500 * 0.6) / 1e6;
  assert.ok(Math.abs(client.meter.all.costUsd - expected) < 1e-12);
  const l = readUsageLedger(ledger);
  assert.equal(l.calls.length, 1);
  assert.equal(l.calls[0].tokens, 1500);
  assert.ok(!readFileSync(ledger, 'utf8').includes('sk-test'), 'the key never reaches the ledger');
});

test('streaming (SSE chunks then [DONE]) gives the same structured reply, with usage from the last chunk', async () => {
  const client = testClient(testConfig(servers.fake.baseURL, { stream: true }));
  servers.fake.reply({ json: { answer: 2 }, usage: { prompt_tokens: 10, completion_tokens: 3 } });
  const r = await ask(client);
  assert.deepEqual(r.value, { answer: 2 });
  assert.equal(servers.fake.requests[servers.fake.requests.length - 1].body.stream, true);
  assert.equal(client.meter.all.tokens, 13);
});

test('tool-call mode: the schema becomes a forced tool; streamed tool arguments are reassembled', async () => {
  for (const stream of [false, true]) {
    const client = testClient(testConfig(servers.fake.baseURL, { structured: 'tool', stream }));
    servers.fake.reply({ json: { answer: 5 } });
    const r = await ask(client);
    assert.deepEqual(r.value, { answer: 5 });
    const req = servers.fake.requests[servers.fake.requests.length - 1];
    assert.equal(req.body.tools?.[0].function.name, 'answer');
    assert.equal(req.body.response_format, undefined);
  }
});

test('malformed JSON and schema violations go back to the model with the problem, then succeed', async () => {
  const client = testClient(testConfig(servers.fake.baseURL));
  servers.fake.reply({ content: 'Sure! the answer is two' }, { json: { answer: 'two' } }, { json: { answer: 2 } });
  const n0 = servers.fake.requests.length;
  const r = await ask(client);
  assert.equal(r.attempts, 3);
  assert.equal(r.rejected.length, 2);
  assert.match(r.rejected[0], /malformed: not valid JSON/);
  assert.match(r.rejected[1], /answer: must be integer/);
  assert.match(servers.fake.requests[n0 + 1].lastMessage, /not valid JSON/);
  assert.match(servers.fake.requests[n0 + 2].lastMessage, /must be integer/);
});

test('a fenced ```json reply is accepted', async () => {
  const client = testClient(testConfig(servers.fake.baseURL));
  servers.fake.reply({ content: '```json\n{"answer": 4}\n```' });
  assert.deepEqual((await ask(client)).value, { answer: 4 });
});

test('bounded retries: still invalid after the last attempt gives a schema error naming every attempt', async () => {
  const client = testClient(testConfig(servers.fake.baseURL));
  servers.fake.reply({ json: {} }, { json: { answer: 1, extra: true } });
  const e = await rejects(ask(client, 2), 'schema', /after 2 attempt/);
  assert.match(e.message, /missing required field 'answer'/);
  assert.match(e.message, /unknown field 'extra'/);
});

test('refusals, content filters and empty replies are clear errors', async () => {
  const client = testClient(testConfig(servers.fake.baseURL));
  servers.fake.reply({ refusal: 'I cannot help with that.' });
  await rejects(ask(client, 1), 'refusal', /refused: I cannot help/);
  servers.fake.reply({ content: '', finishReason: 'content_filter' });
  await rejects(ask(client, 1), 'refusal', /content filter/);
  servers.fake.reply({ content: '' });
  await rejects(ask(client, 1), 'empty');
});

test('truncated replies: finish_reason length, a cut SSE stream, a cut body', async () => {
  const client = testClient(testConfig(servers.fake.baseURL));
  servers.fake.reply({ content: '{"answer": 1', finishReason: 'length' });
  await rejects(ask(client, 1), 'truncated', /output token limit/);
  servers.fake.reply({ truncated: true });
  const cut = await ask(client, 1).catch((e: unknown) => e);
  assert.ok(cut instanceof LlmError && ['truncated', 'malformed', 'connection'].includes(cut.kind), String(cut));
  const streaming = testClient(testConfig(servers.fake.baseURL, { stream: true }));
  servers.fake.reply({ truncated: true });
  const cut2 = await ask(streaming, 1).catch((e: unknown) => e);
  assert.ok(cut2 instanceof LlmError && ['truncated', 'connection'].includes(cut2.kind), String(cut2));
  // A truncated reply is correctable: with attempts left, the next reply is used.
  servers.fake.reply({ content: '{"answer": 1', finishReason: 'length' }, { json: { answer: 1 } });
  assert.deepEqual((await ask(client, 2)).value, { answer: 1 });
});

test('a huge reply is cut off at the byte cap and reported, not buffered', async () => {
  const client = testClient(testConfig(servers.fake.baseURL, { max_reply_bytes: 64 * 1024 }));
  servers.fake.reply({ huge: 5 * 1024 * 1024 });
  await rejects(ask(client, 1), 'too_large', /65536 bytes/);
  const streaming = testClient(testConfig(servers.fake.baseURL, { max_reply_bytes: 64 * 1024, stream: true }));
  servers.fake.reply({ huge: 5 * 1024 * 1024 });
  await rejects(ask(streaming, 1), 'too_large');
});

test('timeouts: a server that never answers, and one that stalls mid-body', async () => {
  const client = testClient(testConfig(servers.fake.baseURL, { timeout_ms: 300 }));
  servers.fake.reply({ hang: 'headers' });
  let t0 = Date.now();
  await rejects(ask(client, 1), 'timeout');
  assert.ok(Date.now() - t0 < 2500);
  servers.fake.reply({ hang: 'body' });
  t0 = Date.now();
  await rejects(ask(client, 1), 'timeout');
  assert.ok(Date.now() - t0 < 2500);
  const streaming = testClient(testConfig(servers.fake.baseURL, { timeout_ms: 300, stream: true }));
  servers.fake.reply({ hang: 'body' });
  await rejects(ask(streaming, 1), 'timeout');
});

test('429 and 500 with retry-after are retried after the requested delay; exhausted retries are clear', async () => {
  const client = testClient(testConfig(servers.fake.baseURL, { max_retries: 2 }));
  servers.fake.reply({ status: 429, retryAfter: '0.3' }, { status: 500, retryAfterMs: '100' }, { json: { answer: 3 } });
  const t0 = Date.now();
  const r = await ask(client, 1);
  assert.deepEqual(r.value, { answer: 3 });
  assert.ok(Date.now() - t0 >= 380, 'waited for retry-after');
  servers.fake.reply({ status: 429, retryAfter: '0.05' }, { status: 429, retryAfter: '0.05' }, { status: 429, retryAfter: '0.05' });
  await rejects(ask(client, 1), 'rate_limited', /429\) after 2 retries/);
  servers.fake.reply({ status: 503, retryAfter: '0.05' }, { status: 500, retryAfter: '0.05' }, { status: 500, retryAfter: '0.05' });
  await rejects(ask(client, 1), 'http', /HTTP 500 after 2 retries/);
  servers.fake.reply({ status: 401, body: '{"error":{"message":"bad key"}}' });
  await rejects(ask(client, 1), 'http', /API key was refused/);
});

test('the budget is checked before every call: an exhausted budget makes no request', async () => {
  const client = testClient(testConfig(servers.fake.baseURL), 0.0001);
  servers.fake.reply({ json: { answer: 1 }, usage: { prompt_tokens: 1_000_000, completion_tokens: 0 } });
  await ask(client);
  const n = servers.fake.requests.length;
  await rejects(ask(client), 'budget', /LLM budget exhausted: \$0\.1500 spent of \$0\.0001/);
  assert.equal(servers.fake.requests.length, n, 'no request was made');
});

test('replies without usage are estimated and flagged; unknown models cost 0 with a note', async () => {
  const client = testClient(testConfig(servers.fake.baseURL, { model: 'my-local-llama' }));
  servers.fake.reply({ json: { answer: 1 }, usage: null });
  const seen: { estimated: boolean; note?: string; costUsd: number; promptTokens: number }[] = [];
  client.meter.onRecord((u) => seen.push(u));
  const n0 = servers.fake.requests.length;
  await ask(client);
  assert.equal(seen.length, 1);
  assert.equal(seen[0].estimated, true);
  // The estimate covers everything sent, the reply schema included, not only the message texts.
  const body = servers.fake.requests[n0].body;
  const texts = body.messages.reduce((a, m) => a + String(m.content ?? '').length, 0);
  const schema = JSON.stringify(body.response_format?.json_schema?.schema).length;
  assert.ok(schema > 0);
  assert.equal(seen[0].promptTokens, Math.ceil((texts + schema) / 4));
  assert.equal(seen[0].costUsd, 0);
  assert.match(seen[0].note ?? '', /no price for model 'my-local-llama'/);
});

test('connection refused is a clear connection error', async () => {
  const client = testClient(testConfig('http://127.0.0.1:9/v1'));
  await rejects(ask(client, 1), 'connection', /cannot reach 127\.0\.0\.1:9/);
  assert.ok(!existsSync('/nonexistent'));
});

test('a server without json_schema support (400) is switched to a forced tool; content JSON is accepted in tool mode', async () => {
  const client = testClient(testConfig(servers.fake.baseURL));
  servers.fake.reply({ status: 400, body: '{"error":{"message":"response_format json_schema is not supported by this model"}}' }, { json: { answer: 8 } }, { json: { answer: 9 } });
  const n0 = servers.fake.requests.length;
  assert.deepEqual((await ask(client)).value, { answer: 8 });
  assert.equal(servers.fake.requests[n0 + 1].body.response_format, undefined);
  assert.equal((servers.fake.requests[n0 + 1].body.tool_choice as { function: { name: string } }).function.name, 'answer');
  assert.deepEqual((await ask(client)).value, { answer: 9 }, 'the switch sticks');
  assert.equal(servers.fake.requests[n0 + 2].kind, 'answer');
  const toolMode = testClient(testConfig(servers.fake.baseURL, { structured: 'tool' }));
  servers.fake.reply({ content: '{"answer": 10}' });
  assert.deepEqual((await ask(toolMode)).value, { answer: 10 });
});

test('calls under one long-lived signal leave no abort listener behind on it', async () => {
  const client = testClient(testConfig(servers.fake.baseURL));
  const controller = new AbortController();
  for (let i = 0; i < 15; i++) {
    servers.fake.reply({ json: { answer: i } });
    const r = await client.structured<{ answer: number }>({ role: 'researcher', purpose: 'test', nodeId: null, messages: [{ role: 'user', content: 'n?' }], name: 'answer', schema: SCHEMA, strict: true, attempts: 1, signal: controller.signal });
    assert.equal(r.value.answer, i);
  }
  assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
});
