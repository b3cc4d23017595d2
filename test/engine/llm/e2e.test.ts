// DONE-WHEN of issue #5, through the engine directly: a micro-task search with the LLM proposer
// through the fake OpenAI server (real HTTP, real openai client) and real training runs, leaving
// research notes, distilled insights, plans, executor attempts and token/cost accounting.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { examplesDir, Experiment, initExperiment, OfflineProposer, parseAndValidate, Search, type TaskSpec } from '../../../src/engine';
import { readExecutorRecords, readUsageLedger, selectProposer } from '../../../src/engine/llm';
import { fakeLlmEnv, useFakeServers } from './fakeServers';
import { cleanupTempDirs, MICRO_SPEC, tempDir } from './helpers';
import { testBackend } from './testBackend';
import { scriptedLlm } from './scriptedLlm';

process.env.TREX_PYTHON ??= '/usr/bin/python3';
const servers = useFakeServers({ research: true });

/** examples/addition/trex.yaml when it validates, else the tiny built-in micro spec. */
function specText(): { text: string; source: string } {
  const p = join(examplesDir(), 'addition', 'trex.yaml');
  if (existsSync(p)) {
    const text = readFileSync(p, 'utf8');
    try {
      parseAndValidate<TaskSpec>(text, 'trex', 'examples/addition/trex.yaml');
      return { text, source: 'examples/addition/trex.yaml' };
    } catch {
      // the example is still being written
    }
  }
  return { text: MICRO_SPEC, source: 'test MICRO_SPEC' };
}

function walkFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walkFiles(p));
    else out.push(p);
  }
  return out;
}

test('trex run --proposer llm, end to end: research, proposals, a failure debugged and its fix run as a new child, insights, accounting', { timeout: 300_000 }, async (t) => {
  const { text, source } = specText();
  t.diagnostic(`spec: ${source}`);
  const dir = join(tempDir(), 'exp');
  initExperiment(dir, text);
  const exp = Experiment.open(dir);
  servers.fake.handler = scriptedLlm(() => exp.dir);
  const env = fakeLlmEnv(servers, 'sk-e2e-secret');
  const backend = await testBackend(exp.dir, tempDir());
  const notices: string[] = [];
  const choice = selectProposer(exp, { requested: 'llm', env, backend, onNotice: (m) => notices.push(m) });
  assert.equal(choice.proposer.name, 'llm', choice.notice);
  t.diagnostic(choice.notice);
  const search = new Search(exp, {
    backend,
    proposer: choice.proposer,
    policy: 'greedy',
    parallel: 1,
    budget: { max_runs: 3 },
    settings: { children_per_expansion: 1 },
    writeInsights: false,
    pollMs: 50,
  });
  const t0 = Date.now();
  const summary = await search.run(new AbortController().signal);
  await choice.llm!.close();
  t.diagnostic(`search: ${summary.reason} after ${summary.runs} runs in ${((Date.now() - t0) / 1000).toFixed(1)} s; notices: ${notices.join(' | ')}`);
  const tree = exp.tree;

  assert.equal(summary.reason, 'budget');
  assert.equal(summary.runs, 3);
  // Research notes, with citations.
  const research = readFileSync(join(dir, 'research.md'), 'utf8');
  assert.match(research, /\[Teaching Arithmetic to Small Transformers\]\(http:\/\/arxiv\.org\/abs\/2307\.03381v1\)/);
  // Plans from the Researcher.
  const n1 = tree.get('n0001');
  const n2 = tree.get('n0002');
  assert.equal(n1.proposer, 'llm');
  assert.match(readFileSync(exp.nodePath('n0001', 'plan.md'), 'utf8'), /## Hypothesis\n\nlong sequences, lower lr will raise exact match/);
  assert.match(readFileSync(exp.nodePath('n0002', 'plan.md'), 'utf8'), /reversed answer digits/);
  // n0001 failed in training; the Executor's fix (max_seq_len 512 → 96) passed the cheap check, but
  // it changes n0001's own change, so n0001 stays failed with its planned config and the fix is a child.
  const recs = readExecutorRecords(exp, 'n0001');
  const end = recs.find((r) => r.kind === 'session_end');
  assert.equal(end?.status, 'fixed', JSON.stringify(recs.slice(-3)));
  assert.equal(recs.filter((r) => r.kind === 'cheap_check').length, 1, 'one cheap check for the fix');
  assert.ok(recs.some((r) => r.kind === 'cheap_check' && r.ok === true));
  assert.equal(n1.status, 'failed');
  assert.equal(exp.readNodeConfig('n0001').train.max_seq_len, 512);
  const fix = [...tree.nodes.values()].find((n) => n.parent === 'n0001' && n.proposer === 'executor fix');
  assert.ok(fix, 'the fix is a new child of n0001');
  assert.match(n1.failure!.reason, new RegExp(`own change \\(train\\.max_seq_len\\).*The fix is ${fix.id}`, 's'));
  assert.deepEqual(fix.changes, [{ path: 'train.max_seq_len', from: 512, to: 96, by: 'executor' }]);
  assert.ok(notices.some((m) => m.startsWith("n0001: The Executor's only fix")), notices.join('\n'));
  // Whatever the budget left pending (the fix child) runs in a next search, one run each.
  const pending = [...tree.nodes.values()].filter((n) => n.status === 'pending').length;
  await new Search(exp, { backend, proposer: new OfflineProposer(), budget: { max_runs: 3 + pending }, parallel: 1, writeInsights: false, pollMs: 50 }).run(new AbortController().signal);
  await backend.close();
  assert.equal(tree.get(fix.id).status, 'succeeded', tree.get(fix.id).failure?.reason);
  assert.equal(exp.readNodeConfig(fix.id).train.max_seq_len, 96);
  assert.equal(n2.status, 'succeeded', n2.failure?.reason);
  // Bad cases and distilled insights.
  assert.ok(existsSync(exp.nodePath('n0000', 'bad_cases.md')));
  const insights = readFileSync(join(dir, 'insights.md'), 'utf8');
  assert.match(insights, /## What failed and why\n\n- max_seq_len above 128 crashes the micro trainer/);
  assert.match(insights, /# Measured \(computed by the engine\)/);
  // Token and cost accounting: per role in the tree, per call in the ledger.
  const usageEvents = readFileSync(join(dir, 'tree.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { type: string; role?: string; costUsd?: number });
  const roles = new Set(usageEvents.filter((e) => e.type === 'usage').map((e) => e.role));
  assert.deepEqual([...roles].sort(), ['distiller', 'executor', 'researcher']);
  assert.ok(tree.usage.tokens > 0 && tree.usage.costUsd > 0);
  const ledger = readUsageLedger(join(dir, '.trex', 'llm-usage.jsonl'));
  assert.ok(Math.abs(ledger.total.costUsd - tree.usage.costUsd) < 1e-9, `ledger ${ledger.total.costUsd} vs tree ${tree.usage.costUsd}`);
  for (const purpose of ['research', 'proposal', 'distill', 'bad_cases', 'debug']) assert.ok(ledger.calls.some((c) => c.purpose === purpose), `no ${purpose} call in the ledger`);
  // The key is never written anywhere in the experiment.
  for (const f of walkFiles(dir)) if (statSync(f).size < 5_000_000) assert.ok(!readFileSync(f, 'utf8').includes('sk-e2e-secret'), `key found in ${f}`);
  assert.ok(servers.fake.requests.every((r) => r.headers.authorization === 'Bearer sk-e2e-secret'));
  exp.close();
});
