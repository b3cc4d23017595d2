// Finding 12 of issue 16: `trex validate` reports a YAML alias bomb with the file's name and goes
// on to check the other files.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { Experiment, initExperiment } from '../../src/engine/experiment';
import { parseAndValidate, SpecError } from '../../src/engine/spec/validate';
import type { JsonObject, TaskSpec } from '../../src/engine/spec/types';

const ROOT = join(__dirname, '..', '..', '..');
const CLI = join(__dirname, '..', '..', 'src', 'cli', 'main.js');
const specText = readFileSync(join(ROOT, 'examples', 'addition', 'trex.yaml'), 'utf8');
const BOMB = ['a: &a [x, x, x, x, x, x, x, x, x]', ...'bcdefghij'.split('').map((c, i) => `${c}: &${c} [${Array(9).fill('*' + 'abcdefghij'[i]).join(', ')}]`), 'sources: *j', ''].join('\n');

function validate(dir: string): { code: number | null; out: string } {
  const r = spawnSync(process.execPath, [CLI, 'validate', dir], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout + r.stderr };
}

function twoNodes(): string {
  const dir = mkdtempSync(join(tmpdir(), 'trex-sec-bomb-'));
  initExperiment(dir, specText);
  const exp = Experiment.open(dir);
  const base = (parse(specText) as TaskSpec & { baseline: { recipe: JsonObject; train: JsonObject } }).baseline;
  for (let i = 0; i < 2; i++) exp.createNode({ parent: null, origin: 'root', title: 't', plan: 'p', config: { recipe: base.recipe, train: base.train }, changes: [] });
  exp.close();
  return dir;
}

test('an alias bomb is a SpecError naming the file', () => {
  assert.throws(
    () => parseAndValidate(BOMB, 'recipe', 'nodes/n0000/recipe.yaml'),
    (e: unknown) => e instanceof SpecError && e.problems[0].file === 'nodes/n0000/recipe.yaml' && /alias/.test(e.problems[0].message),
  );
});

test('validate names the bomb and still checks the other node files', () => {
  const dir = twoNodes();
  writeFileSync(join(dir, 'nodes', 'n0000', 'recipe.yaml'), BOMB);
  writeFileSync(join(dir, 'nodes', 'n0001', 'train.yaml'), 'learning_rate: 0.01\nbogus_field: 1\n');
  const r = validate(dir);
  assert.equal(r.code, 1, r.out);
  assert.match(r.out, /nodes\/n0000\/recipe\.yaml:.*alias/);
  assert.match(r.out, /nodes\/n0001\/train\.yaml:.*bogus_field/);
  assert.match(r.out, /2 file\(s\) with errors/);
});

test('a bomb in trex.yaml is named and the node files are still checked, without writing the log', () => {
  const dir = twoNodes();
  const log = readFileSync(join(dir, 'tree.jsonl'), 'utf8');
  writeFileSync(join(dir, 'trex.yaml'), BOMB);
  writeFileSync(join(dir, 'nodes', 'n0001', 'train.yaml'), 'learning_rate: 0.01\nbogus_field: 1\n');
  const r = validate(dir);
  assert.equal(r.code, 1, r.out);
  assert.match(r.out, /trex\.yaml:.*alias/);
  assert.match(r.out, /nodes\/n0001\/train\.yaml:.*bogus_field/);
  assert.equal(readFileSync(join(dir, 'tree.jsonl'), 'utf8'), log);
});
