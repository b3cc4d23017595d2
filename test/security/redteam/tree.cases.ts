// Hostile tree.jsonl lines: never applied, whatever they claim.
import assert from 'node:assert/strict';
import { newExperiment } from '../../engine/llm/helpers';
import { hostile } from './table';

const base = { seq: 500, t: 1 };
const cases: [string, Record<string, unknown>, RegExp][] = [
  ['a node id that is a path', { ...base, type: 'node_created', id: 'n1/../../x', parent: 'n0000', origin: 'proposer', title: 't', changes: [], configHash: 'a', recipeHash: 'b', status: 'pending' }, /invalid node id/],
  ['a change set by an unknown party', { ...base, type: 'node_created', id: 'n0077', parent: 'n0000', origin: 'proposer', title: 't', changes: [{ path: 'x', from: 1, to: 2, by: 'root' }], configHash: 'a', recipeHash: 'b', status: 'pending' }, /by: user/],
  ['a metrics provenance that is a path', { ...base, type: 'stage_finished', id: 'n0000', stage: 'evaluate', exitCode: 0, wallMs: 1, metricsSha256: '../../metrics.json' }, /sha256/],
  ['a result for a node that does not exist', { ...base, type: 'node_result', id: 'n0999', result: { score: 1, metrics: {}, wallMs: 0, computeMs: 0, savedMs: 0 } }, /unknown node/],
  ['an edit claimed by a model name', { ...base, type: 'node_edited', id: 'n0000', file: 'x', configHash: 'a', recipeHash: 'b', by: 'gpt' }, /wrong type/],
];
for (const [name, e, re] of cases) {
  hostile('hostile tree.jsonl line', name, () => {
    const exp = newExperiment();
    assert.match(exp.tree.check(e) ?? 'ACCEPTED', re);
  });
}
