// The Executor keeps each node honest (against the fake OpenAI-compatible server, real cheap checks
// with the micro trainer): a fix that keeps the node's own changes queues it again as the
// Executor's; a fix that changes them becomes a new child and the node stays failed with the
// reason; a fix that makes the config equal to an existing node is refused. One cheap check per fix.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { stringify } from 'yaml';
import type { Experiment, JsonObject, TreeEvent } from '../../../src/engine';
import { LlmAgents, readExecutorRecords } from '../../../src/engine/llm';
import { useFakeServers } from './fakeServers';
import { newExperiment, testClient, testConfig } from './helpers';
import { testBackend } from './testBackend';

process.env.TREX_PYTHON ??= '/usr/bin/python3';
const servers = useFakeServers({ research: false });

/** A child of the root whose train config is the root's with `train` over it; `changes` are its edge's own. */
function childNode(exp: Experiment, title: string, train: JsonObject, changes: { path: string; from: unknown; to: unknown }[]): string {
  const root = exp.readNodeConfig('n0000');
  const id = exp.createNode({ parent: 'n0000', origin: 'proposer', proposer: 'llm', title, plan: `# ${title}\n`, config: { recipe: root.recipe, train: { ...root.train, ...train } }, changes });
  return id;
}

/** The Executor's replies for one session: write train.yaml, run the cheap check, claim the fix. */
function scriptFix(train: JsonObject, summary: string): void {
  servers.fake.reply(
    { toolCalls: [{ name: 'write_file', arguments: { path: 'train.yaml', content: stringify(train) } }, { name: 'cheap_check', arguments: {} }] },
    { toolCalls: [{ name: 'finish', arguments: { status: 'fixed', summary, changed_files: ['train.yaml'] } }] },
  );
}

const FAILURE = 'exit code 2: trex_micro train: invalid input: max_seq_len: must be in [8, 128], got 512';

test('a verified fix: kept changes requeue the node as the Executor\'s; changed ones become a new child; a twin is refused', { timeout: 600_000 }, async (t) => {
  const exp = newExperiment();
  const backend = await testBackend(exp.dir);
  const notices: string[] = [];
  const agents = new LlmAgents(exp, { client: testClient(testConfig(servers.fake.baseURL)), backend, badCases: false, distill: false, onNotice: (m) => notices.push(m) });
  const events: TreeEvent[] = [];
  exp.onEvent((e) => events.push(e));
  const root = exp.readNodeConfig('n0000').train;
  t.after(async () => {
    await agents.close();
    await backend.close();
    exp.close();
  });

  await t.test('a fix that keeps the edge\'s own change: the node runs again, recorded as the Executor\'s', async () => {
    const id = childNode(exp, 'higher learning rate', { learning_rate: 0.002, max_seq_len: 512 }, [{ path: 'train.learning_rate', from: 0.001, to: 0.002 }]);
    scriptFix({ ...root, learning_rate: 0.002, max_seq_len: 128 }, 'max_seq_len 512 is over the trainer limit; set it to 128.');
    exp.emit({ type: 'node_failed', id, stage: 'train', reason: FAILURE, logTail: '' });
    await agents.idle();
    const n = exp.tree.get(id);
    assert.equal(n.status, 'pending', notices.join('\n'));
    const status = events.filter((e): e is Extract<TreeEvent, { type: 'node_status' }> => e.type === 'node_status' && e.id === id).pop()!;
    assert.match(status.reason ?? '', /queued again by the Executor/);
    const edited = events.filter((e): e is Extract<TreeEvent, { type: 'node_edited' }> => e.type === 'node_edited' && e.id === id).pop()!;
    assert.equal(edited.by, 'executor');
    assert.equal(n.changes.find((c) => c.path === 'train.max_seq_len')?.by, 'executor', 'the value the Executor set is its');
    assert.equal(n.changes.find((c) => c.path === 'train.learning_rate')?.by, 'researcher', 'the planned change keeps its setter');
    const recs = readExecutorRecords(exp, id);
    assert.equal(recs.filter((r) => r.kind === 'cheap_check').length, 1, 'one cheap check for the fix');
    assert.equal(recs.find((r) => r.kind === 'verification')?.reusedCheck, true);
  });

  await t.test('a fix that changes the edge\'s own change: the node stays failed with the reason, the fix is a new child', async () => {
    const before = exp.tree.nodes.size;
    const id = childNode(exp, 'long sequences', { max_seq_len: 512 }, [{ path: 'train.max_seq_len', from: null, to: 512 }]);
    scriptFix({ ...root, max_seq_len: 128 }, 'max_seq_len 512 is over the trainer limit; set it to 128.');
    exp.emit({ type: 'node_failed', id, stage: 'train', reason: FAILURE, logTail: '' });
    await agents.idle();
    const n = exp.tree.get(id);
    assert.equal(n.status, 'failed');
    assert.match(n.failure!.reason, /only fix changes this node's own change \(train\.max_seq_len\).*not tested/s);
    assert.equal(exp.readNodeConfig(id).train.max_seq_len, 512, 'the node keeps the config it planned');
    assert.equal(exp.tree.nodes.size, before + 2, 'the node and its fix child');
    const child = [...exp.tree.nodes.values()].find((c) => c.parent === id)!;
    assert.match(n.failure!.reason, new RegExp(`The fix is ${child.id}`));
    assert.equal(child.status, 'pending');
    assert.equal(child.proposer, 'executor fix');
    assert.deepEqual(child.changes, [{ path: 'train.max_seq_len', from: 512, to: 128, by: 'executor' }]);
    assert.equal(exp.readNodeConfig(child.id).train.max_seq_len, 128);
    const plan = readFileSync(exp.nodePath(child.id, 'plan.md'), 'utf8');
    assert.match(plan, new RegExp(`# Executor's fix of ${id}[\\s\\S]*train\\.max_seq_len: 512 → 128[\\s\\S]*over the trainer limit`));
    assert.equal(readExecutorRecords(exp, id).filter((r) => r.kind === 'session_start').length, 1, 'the recorded failure is not debugged again');
    assert.ok(notices.some((m) => m.includes(`${id}: The Executor's only fix`)), notices.join('\n'));
  });

  await t.test('a fix that makes the config equal to an existing node is refused', async () => {
    const twin = childNode(exp, 'lr 0.003 done right', { learning_rate: 0.003, max_seq_len: 128 }, [{ path: 'train.learning_rate', from: 0.001, to: 0.003 }]);
    const id = childNode(exp, 'lr 0.003', { learning_rate: 0.003, max_seq_len: 512 }, [{ path: 'train.learning_rate', from: 0.001, to: 0.003 }]);
    const before = exp.tree.nodes.size;
    scriptFix({ ...root, learning_rate: 0.003, max_seq_len: 128 }, 'set max_seq_len to 128.');
    exp.emit({ type: 'node_failed', id, stage: 'train', reason: FAILURE, logTail: '' });
    await agents.idle();
    const n = exp.tree.get(id);
    assert.equal(n.status, 'failed');
    assert.match(n.failure!.reason, new RegExp(`fix was refused: it makes the config equal to ${twin}`));
    assert.equal(exp.tree.nodes.size, before, 'no new node');
    assert.equal(exp.readNodeConfig(id).train.max_seq_len, 512);
  });
});
