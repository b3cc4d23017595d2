// Files a proposal writes into its new node's folder: which paths are refused and why, how the
// recipe's script steps are pointed at the node's copy, that writing stays inside the folder and
// never replaces a file, and that the runner's data policy lets exactly those scripts run.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { MAX_NODE_FILE_BYTES, nodeFileProblem, nodeFilesProblems, placeNodeFiles, writeNodeFiles } from '../../src/engine/proposalFiles';
import { checkProposedSources, trainerDataPolicy } from '../../src/engine/dataPolicy';
import type { JsonObject, TaskSpec } from '../../src/engine/spec/types';

const PY = 'import sys\nsys.stdout.write(sys.stdin.read())\n';

test('a proposed file must be a small .py file at a plain path inside the node folder', () => {
  assert.equal(nodeFileProblem({ path: 'clean.py', content: PY }), undefined);
  assert.equal(nodeFileProblem({ path: 'scripts/clean.py', content: PY }), undefined);
  const refused: [string, RegExp][] = [
    ['../clean.py', /leaves the new node's folder/],
    ['scripts/../../x.py', /leaves the new node's folder/],
    ['/tmp/x.py', /is absolute/],
    ['~/x.py', /is absolute/],
    ['C:/x.py', /is absolute/],
    ['a/b/c.py', /at most one folder/],
    ['run/x.py', /in run\/, which the engine owns/],
    ['clean.sh', /not a \.py file/],
    ['plan.md', /not a \.py file/],
    ['.hidden.py', /not a plain relative path/],
  ];
  for (const [path, reason] of refused) assert.match(nodeFileProblem({ path, content: PY }) ?? '', reason, path);
  assert.match(nodeFileProblem({ path: 'big.py', content: 'x'.repeat(MAX_NODE_FILE_BYTES + 1) }) ?? '', /bytes; at most/);
  assert.match(nodeFileProblem({ path: 'empty.py', content: ' \n' }) ?? '', /is empty/);
  assert.deepEqual(nodeFilesProblems([{ path: 'a.py', content: PY }, { path: 'a.py', content: PY }]), ['files: "a.py" is given twice']);
  assert.match(nodeFilesProblems(['a', 'b', 'c', 'd'].map((n) => ({ path: `${n}.py`, content: PY })))[0], /too many files \(4; at most 3\)/);
});

test("the node's script steps are pointed at its folder; other steps and the train config are untouched", () => {
  const recipe: JsonObject = { sources: [{ kind: 'file', path: 'data/t.jsonl' }], filters: [{ kind: 'dedup' }, { kind: 'script', path: 'clean.py' }, { kind: 'script', path: 'data/shared.py' }] };
  const train = { learning_rate: 0.001 };
  const placed = placeNodeFiles('n0007', [{ path: 'clean.py', content: PY }], { recipe, train }, [{ path: 'recipe.filters', from: [], to: recipe.filters }, { path: 'train.learning_rate', from: 0.01, to: 0.001 }]);
  const expected = [{ kind: 'dedup' }, { kind: 'script', path: 'nodes/n0007/clean.py' }, { kind: 'script', path: 'data/shared.py' }];
  assert.deepEqual(placed.config.recipe.filters, expected);
  assert.equal(placed.config.train, train);
  assert.deepEqual(placed.changes[0].to, expected);
  assert.deepEqual(placed.changes[1], { path: 'train.learning_rate', from: 0.01, to: 0.001 });
  assert.deepEqual((recipe.filters as JsonObject[])[1], { kind: 'script', path: 'clean.py' }, 'the proposal itself is not changed');
});

test('files are written inside the node folder only, never over an existing file or through a link', () => {
  const root = mkdtempSync(join(tmpdir(), 'trex-nodefiles-'));
  const node = join(root, 'nodes', 'n0001');
  mkdirSync(node, { recursive: true });
  writeNodeFiles(node, [{ path: 'scripts/clean.py', content: PY }]);
  assert.equal(readFileSync(join(node, 'scripts', 'clean.py'), 'utf8'), PY);
  assert.throws(() => writeNodeFiles(node, [{ path: 'scripts/clean.py', content: 'other' }]), /EEXIST/);
  assert.equal(readFileSync(join(node, 'scripts', 'clean.py'), 'utf8'), PY, 'the first file stays');
  assert.throws(() => writeNodeFiles(node, [{ path: '../n0000/x.py', content: PY }]), /leaves the new node's folder/);
  mkdirSync(join(root, 'outside'));
  symlinkSync(join(root, 'outside'), join(node, 'out'));
  assert.throws(() => writeNodeFiles(node, [{ path: 'out/x.py', content: PY }]), /outside|symbolic|leads/i);
});

test("a proposal may name its own scripts; the runner's policy allows node scripts and nothing else new", () => {
  const dir = mkdtempSync(join(tmpdir(), 'trex-nodefiles-'));
  const spec = { task: { kind: 'llm' } } as unknown as TaskSpec;
  const parent = { sources: [{ kind: 'file', path: 'data/t.jsonl' }], filters: [] };
  const child = { ...parent, filters: [{ kind: 'script', path: 'clean.py' }] };
  assert.match(checkProposedSources(dir, spec, parent, child).join('\n'), /recipe\.filters\.0\.path: 'clean\.py' is outside the experiment's data\//, 'a script it does not write is data from elsewhere');
  assert.deepEqual(checkProposedSources(dir, spec, parent, child, new Set(['clean.py'])), []);
  const placed = { ...parent, filters: [{ kind: 'script', path: 'nodes/n0003/clean.py' }, { kind: 'script', path: 'elsewhere/evil.py' }] };
  const policy = trainerDataPolicy(spec, placed, []);
  assert.ok(policy.allow_paths.includes('nodes/n0003/clean.py'));
  assert.ok(!policy.allow_paths.includes('elsewhere/evil.py'));
});
