// A weak or flaky model must not end the search: with an endpoint whose proposals are unusable
// half of the time (schema-valid JSON naming knobs that do not exist, values out of range,
// broken JSON), a search still spends its whole budget. A node whose proposals were all dropped
// is expanded by the offline proposer, which the node records, and stays open for the model.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Experiment, initExperiment, Search } from '../../../src/engine';
import { selectProposer } from '../../../src/engine/llm';
import type { FakeReply, RecordedRequest } from './fakeOpenAI';
import { fakeLlmEnv, useFakeServers } from './fakeServers';
import { cleanupTempDirs, MICRO_SPEC, tempDir } from './helpers';
import { scriptedLlm } from './scriptedLlm';
import { testBackend } from './testBackend';

process.env.TREX_PYTHON ??= '/usr/bin/python3';
const servers = useFakeServers({ research: true });

const edit = (path: string, v: unknown) => ({ path, value_json: JSON.stringify(v) });
const idea = (title: string, edits: { path: string; value_json: string }[]) => ({ title, hypothesis: `${title} helps`, rationale: 'r', evidence: [], edits });

/** Proposal requests come in blocks of three (one expansion's attempts): bad blocks alternate with good ones. */
function flakyModel(expDir: () => string): { handler: (req: RecordedRequest) => FakeReply; proposalCalls: () => number } {
  const rest = scriptedLlm(expDir);
  let calls = 0;
  const bad: FakeReply[] = [
    { json: { proposals: [idea('a knob that does not exist', [edit('train.no_such_knob', 3)])] } },
    { json: { proposals: [idea('a negative learning rate', [edit('train.learning_rate', -5)])] } },
    { status: 200, body: '{"choices": [{"message": {"content": "{not json' },
  ];
  const good = [
    idea('two epochs', [edit('train.epochs', 2)]),
    idea('batch 16', [edit('train.batch_size', 16)]),
    idea('reversed digits', [edit('recipe.format.template', 'reversed')]),
    idea('lr 3e-3', [edit('train.learning_rate', 0.003)]),
    idea('three epochs', [edit('train.epochs', 3)]),
    idea('batch 8', [edit('train.batch_size', 8)]),
  ];
  let goodUsed = 0;
  return {
    proposalCalls: () => calls,
    handler: (req) => {
      if (req.kind !== 'proposals') return rest(req);
      const i = calls++;
      if (Math.floor(i / 3) % 2 === 0) return bad[i % bad.length];
      return { json: { proposals: [good[goodUsed++ % good.length]] } };
    },
  };
}

test('an endpoint whose proposals are unusable half of the time: the search still spends its whole budget', { timeout: 600_000 }, async (t) => {
  const dir = join(tempDir(), 'exp');
  initExperiment(dir, MICRO_SPEC.replace('budget: { max_runs: 3 }', 'budget: { max_runs: 6 }'));
  const exp = Experiment.open(dir);
  const model = flakyModel(() => exp.dir);
  servers.fake.handler = model.handler;
  const env = fakeLlmEnv(servers, 'sk-robustness');
  const backend = await testBackend(exp.dir);
  const notices: string[] = [];
  const choice = selectProposer(exp, { requested: 'llm', env, backend, onNotice: (m) => notices.push(m) });
  assert.equal(choice.proposer.name, 'llm', choice.notice);
  const search = new Search(exp, {
    backend,
    proposer: choice.proposer,
    policy: 'greedy',
    parallel: 1,
    settings: { children_per_expansion: 1 },
    writeInsights: false,
    pollMs: 50,
    onNotice: (m) => notices.push(m),
  });
  const summary = await search.run(new AbortController().signal);
  await choice.llm!.close();
  await backend.close();
  t.diagnostic(`search: ${summary.reason} after ${summary.runs} runs; ${model.proposalCalls()} proposal requests; notices: ${notices.join(' | ')}`);

  assert.equal(summary.reason, 'budget', 'the search ended for its budget, not because the model had a bad stretch');
  assert.equal(summary.runs, 6);
  const nodes = [...exp.tree.nodes.values()].filter((n) => n.origin === 'proposer');
  const fallbacks = nodes.filter((n) => /^offline \(fallback: llm proposals for n\d+ were dropped \d+×\)$/.test(n.proposer ?? ''));
  const fromModel = nodes.filter((n) => n.proposer === 'llm');
  assert.ok(fallbacks.length >= 1, `some expansions fell back to the offline proposer: ${nodes.map((n) => n.proposer).join(', ')}`);
  assert.ok(fromModel.length >= 1, 'the model still proposed once it recovered');
  assert.ok(notices.some((m) => /were all dropped; used the offline proposer/.test(m)), notices.join(' | '));
  const log = readFileSync(join(dir, 'tree.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { type: string; reason?: string });
  const dropped = log.filter((e) => e.type === 'proposal_dropped');
  assert.ok(dropped.length >= 1 && dropped.every((e) => (e.reason ?? '').length > 0), 'the dropped proposals are recorded with their reasons');
});
