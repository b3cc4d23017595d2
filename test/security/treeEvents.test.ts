// Findings 6 and 8 of issue 16: every event read from tree.jsonl is validated; a bad line is
// reported by number and skipped, never acted on; node ids are never paths.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Experiment, initExperiment } from '../../src/engine/experiment';
import { ExperimentTree } from '../../src/engine/tree/tree';
import { summarizeTree } from '../../src/engine/status';

const ROOT = join(__dirname, '..', '..', '..');
const spec = readFileSync(join(ROOT, 'examples', 'addition', 'trex.yaml'), 'utf8');

function experiment(lines: unknown[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'trex-sec-events-'));
  initExperiment(dir, spec);
  writeFileSync(join(dir, 'tree.jsonl'), lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n');
  return dir;
}

const node = (seq: number, id: unknown, parent: unknown, extra: object = {}) => ({
  seq, t: 1, type: 'node_created', id, parent, origin: parent ? 'proposer' : 'root', title: 't', changes: [], configHash: 'c', recipeHash: 'r', status: 'pending', ...extra,
});

test('hostile node ids, self-parents, cycles and non-numbers are skipped and reported by line', () => {
  const dir = experiment([
    { seq: 0, t: 1, type: 'experiment_created', name: 'x', metric: 'exact_match', goal: 'maximize' },
    node(1, 'n0000', null), // line 2: fine
    node(2, '../../target', 'n0000'), // line 3: path id
    'null', // line 4
    node(3, 'n0005', 'n0005'), // line 5: own parent
    node(4, 'n0006', 'n0007'), // line 6: parent does not exist yet
    node(5, 'n0007', 'n0006'), // line 7: would close a cycle
    { seq: 6, t: 1, type: 'node_result', id: 'n0000', result: { score: 'abc', metrics: {}, wallMs: 0, computeMs: 0, savedMs: 0 } }, // line 8
    { seq: 7, t: 1, type: 'usage', id: null, role: 'r', tokens: 1, costUsd: 'x' }, // line 9
    { seq: '3x', t: 1, type: 'node_pruned', id: 'n0000', pruned: true }, // line 10
    node(8, 'n0000', 'n0000'), // line 11: duplicate, self-parent
    '[1,2]', // line 12
    '42', // line 13
    { seq: 9, t: 1, type: 'node_result', id: 'n0000', result: { score: 0.5, metrics: {}, wallMs: 0, computeMs: 0, savedMs: 0, costUsd: 0.01 } }, // line 14: fine
  ]);
  const exp = Experiment.open(dir, { readOnly: true });
  try {
    assert.deepEqual([...exp.tree.nodes.keys()], ['n0000']);
    const lines = exp.loadWarnings.map((w) => Number(/tree\.jsonl:(\d+)/.exec(w)?.[1]));
    assert.deepEqual(lines.sort((a, b) => a - b), [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
    const n = exp.tree.get('n0000');
    assert.equal(n.pruned, false);
    assert.equal(n.result?.score, 0.5);
    assert.ok(Number.isFinite(exp.tree.usage.costUsd));
    const s = summarizeTree(exp.tree); // must not throw or spin
    assert.equal(s.nodes.length, 1);
  } finally {
    exp.close();
  }
});

test('nodeDir refuses anything that is not a node id', () => {
  const dir = experiment([{ seq: 0, t: 1, type: 'experiment_created', name: 'x', metric: 'exact_match', goal: 'maximize' }]);
  const exp = Experiment.open(dir, { readOnly: true });
  try {
    assert.throws(() => exp.nodeDir('../../target'), /invalid node id/);
    assert.throws(() => exp.nodeDir('n1/../../x'), /invalid node id/);
    assert.throws(() => exp.nodePath('/etc', 'passwd'), /invalid node id/);
    assert.match(exp.nodeDir('n0001'), /nodes[/\\]n0001$/);
  } finally {
    exp.close();
  }
});

test('a node that is its own parent neither hangs the tree nor the summary', () => {
  const tree = ExperimentTree.fromEvents([node(0, 'n0001', 'n0001')]);
  assert.equal(tree.nodes.size, 0);
  assert.deepEqual(tree.bestPath(), []);
});

test('a hostile seq never propagates to the next append', () => {
  const dir = experiment([
    { seq: 0, t: 1, type: 'experiment_created', name: 'x', metric: 'exact_match', goal: 'maximize' },
    { seq: '3x', t: 1, type: 'search_stopped', reason: 'x' },
  ]);
  const exp = Experiment.open(dir);
  try {
    const e = exp.emit({ type: 'search_stopped', reason: 'y' });
    assert.equal(e.seq, 1);
  } finally {
    exp.close();
  }
});

test('read-only open never writes the log, even with a torn last line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'trex-sec-ro-'));
  initExperiment(dir, spec);
  const torn = '{"seq":0,"t":1,"type":"experiment_created","name":"x","metric":"exact_match","goal":"maximize"}\n{"seq":1,"t":1,"ty';
  writeFileSync(join(dir, 'tree.jsonl'), torn);
  Experiment.open(dir, { readOnly: true }).close();
  assert.equal(readFileSync(join(dir, 'tree.jsonl'), 'utf8'), torn);
  const empty = mkdtempSync(join(tmpdir(), 'trex-sec-ro-'));
  initExperiment(empty, spec);
  const exp = Experiment.open(empty, { readOnly: true });
  assert.throws(() => exp.emit({ type: 'search_stopped', reason: 'x' }), /read-only/);
  exp.close();
  let size = -1;
  try {
    size = statSync(join(empty, 'tree.jsonl')).size;
  } catch {
    size = 0;
  }
  assert.equal(size, 0);
});

test('`trex status` on a hostile log neither hangs, crashes nor writes; it names the bad lines', () => {
  const dir = experiment([
    { seq: 0, t: 1, type: 'experiment_created', name: 'x', metric: 'exact_match', goal: 'maximize' },
    node(1, 'n0000', null),
    node(2, 'n0001', 'n0001'),
    'null',
    { seq: 3, t: 1, type: 'usage', id: null, role: 'r', tokens: 1, costUsd: 'x' },
    { seq: 4, t: 1, type: 'node_result', id: 'n0000', result: { score: 'abc', metrics: {}, wallMs: 0, computeMs: 0, savedMs: 0 } },
    node(5, '../../target', 'n0000'),
  ]);
  const before = readFileSync(join(dir, 'tree.jsonl'), 'utf8');
  const cli = join(__dirname, '..', '..', 'src', 'cli', 'main.js');
  const r = spawnSync(process.execPath, [cli, 'status', dir, '--json'], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 0, r.stderr);
  const s = JSON.parse(r.stdout) as { nodes: { id: string }[] };
  assert.deepEqual(s.nodes.map((n) => n.id), ['n0000']);
  for (const line of [3, 4, 5, 6, 7]) assert.match(r.stderr, new RegExp(`tree\\.jsonl:${line}:`));
  assert.equal(readFileSync(join(dir, 'tree.jsonl'), 'utf8'), before);
});
