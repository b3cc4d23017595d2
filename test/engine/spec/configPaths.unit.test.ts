// One dotted-path writer, two behaviours: the offline proposer's setPath creates whatever is missing on
// the way; the model's edits (checked) only append to lists and say why a write cannot be made.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setPath, writePath } from '../../../src/engine/spec/configPaths';
import type { JsonObject } from '../../../src/engine/spec/types';

test('setPath creates missing lists and objects and leaves the original alone', () => {
  const base = { recipe: { sources: [] }, train: { learning_rate: 0.1 } };
  const next = setPath(base, 'recipe.sources.1.num_examples', 5);
  const sources = next.recipe.sources as unknown[];
  assert.equal(sources.length, 2);
  assert.deepEqual(sources[1], { num_examples: 5 });
  assert.deepEqual(setPath(base, 'train.lora.rank', 8).train, { learning_rate: 0.1, lora: { rank: 8 } });
  assert.deepEqual(setPath(base, 'train.learning_rate', null).train, { learning_rate: null }, 'null is a value, not a removal');
  assert.deepEqual(base.recipe.sources, []);
});

test('a checked write appends, removes with null and refuses the rest with a reason', () => {
  const root: JsonObject = { recipe: { sources: [{ name: 'a' }] }, train: {} };
  const checked = { checked: true, nullRemoves: true };
  assert.equal(writePath(root, ['recipe', 'sources', '1'], { name: 'b' }, checked), undefined);
  assert.equal((root.recipe as { sources: unknown[] }).sources.length, 2);
  assert.equal(writePath(root, ['recipe', 'sources', '0'], null, checked), undefined);
  assert.deepEqual(root.recipe, { sources: [{ name: 'b' }] });
  assert.equal(writePath(root, ['recipe', 'sources', '5', 'name'], 'x', checked), 'no item 5 in recipe.sources (it has 1)');
  assert.equal(writePath(root, ['train', 'lora', '0'], 1, checked), 'train.lora is not a list');
  assert.equal(writePath(root, ['train', 'gone', 'deeper'], null, checked), undefined);
  assert.deepEqual(root.train, {}, 'removing under a missing object creates nothing');
});
