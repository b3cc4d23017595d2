// Which sources a proposal's recipe must have test-loaded before it is accepted: a Hugging Face
// dataset the parent did not read, or one whose mapping (recipe-wide or its own) changed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sourcesToPeek } from '../../../../src/engine/proposers/llm/sourcePeek';
import type { JsonObject } from '../../../../src/engine/spec/types';

const file = { name: 'main', kind: 'file', path: 'data/train.jsonl' };
const hf = (extra: JsonObject = {}) => ({ name: 'sst2', kind: 'hf', dataset: 'stanfordnlp/sst2', split: 'train', ...extra });
const sst2 = hf({ params: { mapping: { prompt: 'sentence' } } });
const parent: JsonObject = { sources: [file, sst2], mapping: { response: 'label' } };

test('an added or remapped hf source is peeked; an unchanged one and file sources are not', () => {
  assert.deepEqual(sourcesToPeek(parent, parent), []);
  assert.deepEqual(sourcesToPeek(parent, { ...parent, sources: [file, sst2, hf({ dataset: 'imdb' })] }), [2], 'a new dataset');
  assert.deepEqual(sourcesToPeek(parent, { ...parent, sources: [file, hf({ split: 'validation', params: { mapping: { prompt: 'sentence' } } })] }), [1], 'another split is other rows');
  assert.deepEqual(sourcesToPeek(parent, { ...parent, sources: [file, hf({ params: { mapping: { prompt: 'text' } } })] }), [1], 'its own mapping changed');
  assert.deepEqual(sourcesToPeek(parent, { ...parent, mapping: { response: 'sentiment' } }), [1], 'the recipe-wide mapping changed');
  assert.deepEqual(sourcesToPeek(parent, { ...parent, sources: [{ ...file, path: 'data/other.jsonl' }, sst2] }), [], 'file sources are read by prepare itself');
  assert.deepEqual(sourcesToPeek(parent, { ...parent, sources: [file, hf({ num_examples: 50, params: { mapping: { prompt: 'sentence' } } })] }), [], 'sampling fewer rows needs no new look');
});
