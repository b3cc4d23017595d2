import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { Experiment } from '../../../src/engine';
import { initFromRequirement, LlmError } from '../../../src/engine/llm';
import { useFakeServers } from './fakeServers';
import { cleanupTempDirs, MICRO_SPEC, tempDir, testConfig } from './helpers';

const servers = useFakeServers({ research: true });

const noResearch = () => testConfig(servers.fake.baseURL, { research: { enabled: false } });

test('init from a requirement: an invalid spec goes back with the validation errors, the valid one is written', async () => {
  const dir = join(tempDir(), 'exp');
  const broken = MICRO_SPEC.replace('goal: maximize', 'goal: up').replace(/search_space:[\s\S]*$/, '');
  servers.fake.reply({ json: { trex_yaml: broken, assumptions: [] } }, { json: { trex_yaml: MICRO_SPEC, assumptions: ['exact match is the metric'] } });
  const n0 = servers.fake.requests.length;
  const r = await initFromRequirement(dir, 'Teach the tiny model 3-digit addition', noResearch());
  assert.equal(r.specPath, join(dir, 'trex.yaml'));
  const feedback = servers.fake.requests[n0 + 1].lastMessage;
  assert.match(feedback, /field 'metric\.goal': must be one of "maximize", "minimize"/);
  assert.match(feedback, /missing required field 'search_space'/);
  const exp = Experiment.open(dir);
  assert.equal(exp.spec.metric.goal, 'maximize');
  exp.close();
  assert.match(readFileSync(r.specPath, 'utf8'), /^# Teach the tiny model 3-digit addition\n# Written by `trex init --requirement`/);
  assert.ok(r.notes.some((n) => /Assumption: exact match is the metric/.test(n)));
  assert.ok(r.usage.tokens > 0);
  assert.ok(existsSync(join(dir, '.trex', 'llm-usage.jsonl')));
  assert.ok(existsSync(join(dir, 'guidance.md')));
});

test('fields of a partial trex.yaml win over the model', async () => {
  const dir = join(tempDir(), 'exp');
  servers.fake.reply({ json: { trex_yaml: MICRO_SPEC, assumptions: [] } });
  await initFromRequirement(dir, 'addition', noResearch(), 'name: my-name\nbudget:\n  max_runs: 5\n');
  const spec = parse(readFileSync(join(dir, 'trex.yaml'), 'utf8')) as { name: string; budget: { max_runs: number }; metric: { name: string } };
  assert.equal(spec.name, 'my-name');
  assert.equal(spec.budget.max_runs, 5);
  assert.equal(spec.metric.name, 'exact_match');
  const prompt = servers.fake.requests[servers.fake.requests.length - 1].lastMessage;
  assert.match(prompt, /Partial trex\.yaml from the user \(keep every field of it as is\):\nname: my-name/);
  await assert.rejects(initFromRequirement(join(tempDir(), 'e2'), 'x', noResearch(), 'name: [unclosed'), /partial trex\.yaml is not valid YAML/);
});

test('still invalid after the bounded attempts: a clear error and no trex.yaml', async () => {
  const dir = join(tempDir(), 'exp');
  servers.fake.reply({ json: { trex_yaml: 'name: x', assumptions: [] } }, { json: { trex_yaml: ': : :', assumptions: [] } }, { content: 'I think you should use gpt-2' });
  await assert.rejects(initFromRequirement(dir, 'something', noResearch()), (e: unknown) => e instanceof LlmError && /no valid reply after 3 attempt/.test(e.message) && /missing required field 'objective'/.test(e.message));
  assert.ok(!existsSync(join(dir, 'trex.yaml')));
  await assert.rejects(initFromRequirement(dir, '  ', noResearch()), /requirement is empty/);
});

test('with research on, research.md is written first and informs the spec prompt', async () => {
  const dir = join(tempDir(), 'exp');
  servers.fake.handler = (req) => {
    if (req.kind === 'task_spec') return { json: { trex_yaml: MICRO_SPEC, assumptions: [] } };
    if (!req.body.messages.some((m) => m.role === 'tool')) return { toolCalls: [{ name: 'search_hf_datasets', arguments: { query: 'arithmetic' } }] };
    return { toolCalls: [{ name: 'finish', arguments: { summary: 'Use reversed digits.', findings: [], candidate_datasets: [{ id: 'openai/gsm8k', url: 'https://huggingface.co/datasets/openai/gsm8k', why: 'math' }], candidate_models: [], training_ideas: [], open_questions: [] } }] };
  };
  const r = await initFromRequirement(dir, 'addition', testConfig(servers.fake.baseURL, { research: servers.apis.settings() }));
  servers.fake.handler = undefined;
  assert.ok(existsSync(join(dir, 'research.md')));
  assert.ok(r.notes.some((n) => /Research notes written/.test(n)));
  const prompt = servers.fake.requests[servers.fake.requests.length - 1].lastMessage;
  assert.match(prompt, /Research findings:[\s\S]*openai\/gsm8k/);
});
