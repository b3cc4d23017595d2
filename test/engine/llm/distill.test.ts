import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Experiment } from '../../../src/engine';
import { distillInsights } from '../../../src/engine/llm';
import { useFakeServers } from './fakeServers';
import { cleanupTempDirs, newExperiment, testConfig } from './helpers';

const servers = useFakeServers({ research: false });

function grow(exp: Experiment, n: number): void {
  const root = exp.readNodeConfig('n0000');
  exp.emit({ type: 'node_result', id: 'n0000', result: { score: 0.2, metrics: {}, wallMs: 1, computeMs: 1, savedMs: 0 } });
  for (let i = 0; i < n; i++) {
    const parent = i < 10 ? 'n0000' : `n${String(1 + (i % 10)).padStart(4, '0')}`;
    const lr = [0.0003, 0.001, 0.003][i % 3];
    const id = exp.createNode({ parent, origin: 'proposer', title: `try ${i}`, plan: '#', config: { recipe: root.recipe, train: { ...root.train, learning_rate: lr, seed: i } }, changes: [{ path: 'train.learning_rate', from: 0.001, to: lr }] });
    if (i % 7 === 3) exp.emit({ type: 'node_failed', id, stage: 'train', reason: `exit code 1: diverged ${i}`, logTail: '' });
    else exp.emit({ type: 'node_result', id, result: { score: 0.2 + (i % 5) * 0.05, testScore: 0.999, metrics: {}, wallMs: 1, computeMs: 1, savedMs: 0 } });
  }
}

const lessons = (n = 2, len = 40) => ({
  worked: Array.from({ length: n }, (_, i) => `worked ${i} ${'w'.repeat(len)}`),
  failed: ['lr 3e-3 diverged (n0004)'],
  open_questions: ['does more data help?'],
  next_directions: ['try the reversed template'],
});

test('insights.md: lessons from the model, numbers from the engine, and only new results are sent', async () => {
  const exp = newExperiment();
  grow(exp, 6);
  servers.fake.reply({ json: lessons(), usage: { prompt_tokens: 500, completion_tokens: 100 } });
  const r = await distillInsights(exp, testConfig(servers.fake.baseURL));
  assert.ok(r.ok, r.reason);
  assert.equal(r.newResults, 7);
  const md = readFileSync(join(exp.dir, 'insights.md'), 'utf8');
  assert.match(md, /^# Insights/);
  assert.match(md, /Best so far: n000\d with exact_match = /);
  assert.match(md, /## What worked\n\n- worked 0/);
  assert.match(md, /## What failed and why\n\n- lr 3e-3 diverged \(n0004\)/);
  assert.match(md, /# Measured \(computed by the engine\)/);
  const prompt = servers.fake.requests[servers.fake.requests.length - 1].lastMessage;
  assert.match(prompt, /n0004 \(child of n0000\) "try 3": train\.learning_rate: 0\.001 → 0\.0003 → FAILED in train: exit code 1: diverged 3/);
  assert.doesNotMatch(prompt, /0\.999/, 'test scores are not shown');
  assert.equal(exp.tree.usage.tokens, 600, 'distiller usage is in the tree');
  // Nothing new: no call, the lessons stay.
  const n = servers.fake.requests.length;
  const again = await distillInsights(exp, testConfig(servers.fake.baseURL));
  assert.equal(again.newResults, 0);
  assert.equal(servers.fake.requests.length, n);
  // One new result: only it is sent, with the previous lessons.
  grow(exp, 0);
  const root = exp.readNodeConfig('n0000');
  const id = exp.createNode({ parent: 'n0000', origin: 'proposer', title: 'newest', plan: '#', config: { recipe: root.recipe, train: { ...root.train, epochs: 5 } }, changes: [] });
  exp.emit({ type: 'node_result', id, result: { score: 0.6, metrics: {}, wallMs: 1, computeMs: 1, savedMs: 0 } });
  servers.fake.reply({ json: lessons() });
  const third = await distillInsights(exp, testConfig(servers.fake.baseURL));
  assert.equal(third.newResults, 1);
  const p3 = servers.fake.requests[servers.fake.requests.length - 1].lastMessage;
  assert.match(p3, /New results \(1\)/);
  assert.match(p3, /Previous lessons:[\s\S]*worked 0/);
});

test('hundreds of nodes: the prompt and insights.md stay bounded', async () => {
  const exp = newExperiment();
  grow(exp, 300);
  servers.fake.reply({ json: lessons(30, 1000) });
  const r = await distillInsights(exp, testConfig(servers.fake.baseURL, { insights_max_chars: 3000 }));
  assert.ok(r.ok, r.reason);
  assert.ok(r.chars <= 3000, `insights.md has ${r.chars} characters`);
  const body = JSON.stringify(servers.fake.requests[servers.fake.requests.length - 1].body.messages);
  assert.ok(body.length < 20_000, `prompt has ${body.length} characters`);
  assert.match(servers.fake.requests[servers.fake.requests.length - 1].lastMessage, /New results \(301, the newest 25 shown\)/);
  const md = readFileSync(join(exp.dir, 'insights.md'), 'utf8');
  assert.equal((md.match(/^- worked/gm) ?? []).length <= 8, true);
});

test('when the model fails, insights.md still gets the computed insights and says why', async () => {
  const exp = newExperiment();
  grow(exp, 3);
  servers.fake.reply({ refusal: 'no' });
  const r = await distillInsights(exp, testConfig(servers.fake.baseURL));
  assert.equal(r.ok, false);
  const md = readFileSync(join(exp.dir, 'insights.md'), 'utf8');
  assert.match(md, /LLM distillation unavailable \(refusal: the model refused: no\); computed insights only/);
  assert.match(md, /## Changes that helped/);
  assert.ok(existsSync(join(exp.dir, '.trex', 'distill.json')));
});
