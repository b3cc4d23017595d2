import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { TaskSpec } from '../../../src/engine';
import { describeLlmConfig, NO_KEY_MESSAGE, priceCall, priceFor, resolveLlmConfig, selectProposer, DEFAULT_PRICES } from '../../../src/engine/llm';
import { applyEdits } from '../../../src/engine/proposers/llm/applyEdits';
import { cleanupTempDirs, newExperiment, tempDir } from './helpers';

after(() => cleanupTempDirs());

const spec = (extra: Partial<TaskSpec> = {}) => ({ name: 'x', budget: {}, ...extra }) as unknown as TaskSpec;

test('no key means null (offline fallback), except for a local server', () => {
  assert.equal(resolveLlmConfig(spec(), {}), null);
  assert.equal(resolveLlmConfig(spec(), { TREX_LLM_BASE_URL: 'https://openrouter.ai/api/v1' }), null);
  const local = resolveLlmConfig(spec(), { TREX_LLM_BASE_URL: 'http://localhost:11434/v1', TREX_LLM_MODEL: 'qwen2.5:7b' });
  assert.ok(local);
  assert.equal(local.models.researcher, 'qwen2.5:7b');
  assert.ok(local.apiKey.length > 0);
});

test('key and settings precedence: overrides > environment > llm.json > defaults; per-role models', () => {
  const dir = tempDir();
  mkdirSync(join(dir, '.trex'));
  writeFileSync(join(dir, '.trex', 'llm.json'), JSON.stringify({ base_url: 'https://file.example/v1', model: 'file-model', timeout_ms: 5000, research: { max_steps: 4 }, prices: { 'file-model': { input: 1, output: 2 } } }));
  const env = { OPENAI_API_KEY: 'sk-openai', TREX_LLM_API_KEY: 'sk-trex', TREX_EXECUTOR_MODEL: 'gpt-4.1', TREX_LLM_TIMEOUT_MS: '7000', TREX_LLM_STREAM: '1', TREX_CONFIG_DIR: tempDir() };
  // The folder's endpoint needs the user's consent (test/security/llmTrust.test.ts).
  assert.equal(resolveLlmConfig(spec(), env, { dir })!.baseURL, 'https://api.openai.com/v1');
  const c = resolveLlmConfig(spec(), env, { dir, trustFolder: true })!;
  assert.equal(c.apiKey, 'sk-trex', 'TREX_LLM_API_KEY wins over OPENAI_API_KEY');
  assert.equal(c.baseURL, 'https://file.example/v1');
  assert.deepEqual(c.models, { researcher: 'file-model', executor: 'gpt-4.1', distiller: 'file-model' });
  assert.equal(c.timeoutMs, 7000);
  assert.equal(c.stream, true);
  assert.equal(c.research.maxSteps, 4);
  assert.deepEqual(c.prices['file-model'], { input: 1, output: 2 });
  const o = resolveLlmConfig(spec(), env, { dir, apiKey: 'sk-from-secret-storage', settings: { model: 'override' } })!;
  assert.equal(o.apiKey, 'sk-from-secret-storage');
  assert.equal(o.models.executor, 'override');
  assert.ok(!describeLlmConfig(o).includes('sk-'), 'the description never shows the key');
  assert.match(describeLlmConfig(c), /researcher file-model, executor gpt-4\.1, distiller file-model at file\.example/);
});

test('the budget comes from trex.yaml when set; an llm: section in trex.yaml is read too', () => {
  const c = resolveLlmConfig(spec({ budget: { max_llm_cost_usd: 2.5 }, llm: { model: 'm-from-spec' } } as unknown as Partial<TaskSpec>), { OPENAI_API_KEY: 'k' })!;
  assert.equal(c.maxCostUsd, 2.5);
  assert.equal(c.models.distiller, 'm-from-spec');
});

test('invalid settings are refused with the field; a key in a settings file is refused', () => {
  assert.throws(() => resolveLlmConfig(spec(), { OPENAI_API_KEY: 'k', TREX_LLM_TIMEOUT_MS: 'soon' }), /TREX_LLM_TIMEOUT_MS must be a number/);
  assert.throws(() => resolveLlmConfig(spec(), { OPENAI_API_KEY: 'k', TREX_LLM_STRUCTURED: 'xml' }), /structured: must be one of "json_schema", "tool"/);
  assert.throws(() => resolveLlmConfig(spec(), { OPENAI_API_KEY: 'k', TREX_LLM_PRICES: '{bad' }), /TREX_LLM_PRICES must be JSON/);
  const dir = tempDir();
  writeFileSync(join(dir, 'llm.json'), JSON.stringify({ api_key: 'sk-oops' }));
  assert.throws(() => resolveLlmConfig(spec(), { OPENAI_API_KEY: 'k' }, { dir }), /contains an API key/);
  writeFileSync(join(dir, 'llm.json'), JSON.stringify({ modle: 'typo' }));
  assert.throws(() => resolveLlmConfig(spec(), { OPENAI_API_KEY: 'k' }, { dir }), /unknown field 'modle'/);
});

test('prices: exact, dated and provider-prefixed names; unknown models cost 0 with a note', () => {
  assert.deepEqual(priceFor(DEFAULT_PRICES, 'gpt-4o-mini-2024-07-18'), DEFAULT_PRICES['gpt-4o-mini']);
  assert.deepEqual(priceFor(DEFAULT_PRICES, 'openai/gpt-4.1'), DEFAULT_PRICES['gpt-4.1']);
  assert.equal(priceCall(DEFAULT_PRICES, 'gpt-4o', 1_000_000, 1_000_000).costUsd, 12.5);
  const unknown = priceCall(DEFAULT_PRICES, 'llama3:8b', 5000, 5000);
  assert.equal(unknown.costUsd, 0);
  assert.match(unknown.note!, /no price for model 'llama3:8b'/);
});

test('selectProposer: llm without a key falls back to offline and says so', async () => {
  const exp = newExperiment();
  const offline = selectProposer(exp, { requested: 'llm', env: {} });
  assert.equal(offline.proposer.name, 'offline');
  assert.equal(offline.notice, NO_KEY_MESSAGE);
  assert.equal(selectProposer(exp, { env: { OPENAI_API_KEY: 'k' } }).proposer.name, 'offline', 'offline unless asked for');
  const llm = selectProposer(exp, { requested: 'llm', env: { OPENAI_API_KEY: 'k' } });
  assert.equal(llm.proposer.name, 'llm');
  assert.match(llm.notice, /Proposer: LLM Researcher\. LLM agents: gpt-4o-mini at api\.openai\.com/);
  await llm.llm!.close();
});

test('applyEdits: list indexes, appends, removals and guards', () => {
  const base = { recipe: { sources: [{ name: 'a', kind: 'generator', num_examples: 10 }] }, train: { learning_rate: 0.1 } };
  const ok = applyEdits(base, [{ path: 'recipe.sources.0.num_examples', value_json: '20' }, { path: 'train.lora.rank', value_json: '8' }]);
  assert.deepEqual(ok.problems, []);
  assert.equal((ok.config!.train.lora as { rank: number }).rank, 8);
  assert.equal((base.recipe.sources[0] as { num_examples: number }).num_examples, 10, 'the parent is not mutated');
  assert.match(applyEdits(base, [{ path: 'recipe.sources.3', value_json: '{}' }]).problems[0], /past the end of recipe\.sources \(length 1; use 1 to append\)/);
  assert.match(applyEdits(base, [{ path: 'recipe.sources.name', value_json: '"x"' }]).problems[0], /is a list: index it with a number/);
  assert.match(applyEdits(base, [{ path: 'train.__proto__', value_json: '{}' }]).problems[0], /forbidden/);
  assert.match(applyEdits(base, [{ path: 'recipe.sources.0', value_json: 'null' }]).problems.join(), /must NOT have fewer than 1 items/);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});
