// Every node records who set each changed field (issue 16): the user, the offline proposer, the
// Researcher or the Executor; the event reader refuses any other value, and the node's details
// (tooltip, status) show it.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { stringify } from 'yaml';
import { forkNode, queueNode } from '../../src/engine/actions';
import { Experiment } from '../../src/engine/experiment';
import { nodeTooltipMarkdown } from '../../src/extension/views/tooltipMarkdown';
import { cleanupTempDirs, newExperiment } from '../engine/llm/helpers';

after(() => cleanupTempDirs());

function child(exp: Experiment, proposer: string | undefined, origin: 'proposer' | 'fork' = 'proposer') {
  const root = exp.readNodeConfig('n0000');
  const train = { ...root.train, learning_rate: 0.0123 };
  return exp.createNode({ parent: 'n0000', origin, title: 'lr', plan: '# lr', config: { recipe: root.recipe, train }, changes: [{ path: 'train.learning_rate', from: root.train.learning_rate, to: 0.0123 }], proposer });
}

test('node_created: each change carries who set it (offline proposer, Researcher, user fork)', () => {
  const exp = newExperiment();
  assert.equal(exp.tree.get(child(exp, 'offline')).changes[0].by, 'offline');
  assert.equal(exp.tree.get(child(exp, 'offline (fallback: llm proposals for n0000 were dropped 2×)')).changes[0].by, 'offline');
  assert.equal(exp.tree.get(child(exp, 'llm')).changes[0].by, 'researcher');
  assert.equal(exp.tree.get(child(exp, undefined, 'fork')).changes[0].by, 'user');
  // Written to the log, read back the same.
  const again = Experiment.open(exp.dir);
  assert.deepEqual([...again.tree.nodes.values()].slice(1).map((n) => n.changes[0].by), ['offline', 'offline', 'researcher', 'user']);
});

test('an edit keeps who set the untouched fields and attributes the changed one to the editor (user or Executor)', () => {
  const exp = newExperiment();
  const id = child(exp, 'llm');
  const cfg = exp.readNodeConfig(id);
  writeFileSync(exp.nodePath(id, 'train.yaml'), stringify({ ...cfg.train, epochs: Number(cfg.train.epochs ?? 1) + 2 }));
  queueNode(exp, id);
  const byPath = () => Object.fromEntries(exp.tree.get(id).changes.map((c) => [c.path, c.by]));
  assert.deepEqual(byPath(), { 'train.learning_rate': 'researcher', 'train.epochs': 'user' });
  writeFileSync(exp.nodePath(id, 'train.yaml'), stringify({ ...cfg.train, epochs: Number(cfg.train.epochs ?? 1) + 2, learning_rate: 0.02 }));
  queueNode(exp, id, 'executor');
  assert.deepEqual(byPath(), { 'train.learning_rate': 'executor', 'train.epochs': 'user' });
  const fork = forkNode(exp, id);
  assert.deepEqual(exp.tree.get(fork).changes, [], 'a fork starts with no changes of its own');
});

test('the event reader refuses a change whose setter is not one of the four, by line', () => {
  const exp = newExperiment();
  const id = child(exp, 'llm');
  const log = join(exp.dir, 'tree.jsonl');
  const lines = readFileSync(log, 'utf8').trim().split('\n');
  const created = JSON.parse(lines.find((l) => l.includes(`"id":"${id}"`) && l.includes('node_created'))!) as Record<string, unknown>;
  assert.match(exp.tree.check({ ...created, id: 'n0099', changes: [{ path: 'train.x', from: 1, to: 2, by: 'attacker' }] }) ?? '', /by: user, offline, researcher or executor/);
  assert.match(exp.tree.check({ ...created, id: 'n0099', changes: [{ path: 'train.x', from: 1, to: 2, by: 7 }] }) ?? '', /changes is not a list/);
  assert.match(exp.tree.check({ seq: 999, t: 1, type: 'node_edited', id, file: 'x', configHash: 'a', recipeHash: 'b', by: 'model' }) ?? '', /wrong type/);
});

test("the node's details show who set each field", () => {
  const exp = newExperiment();
  const md = nodeTooltipMarkdown(exp.tree.get(child(exp, 'llm')), 'exact_match');
  assert.match(md, /set by Researcher/);
});
