// evaluation.kind lm_eval for real: lm-evaluation-harness runs a custom task (a task YAML over a
// local JSONL, found through evaluation.lm_eval.include_path) on the LoRA adapter trained on the
// tiny Llama, through the engine's evaluate stage; metrics.json must carry lm-eval's own number.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { planNodeStages } from '../../../src/engine/frameworks';
import { context, llmSpec, train } from './fixtures';
import { review, runNode, SKIP } from './realHelpers';

const TASK = 'tiny_reviews';
const ROWS = 8;
const TASK_YAML = `task: ${TASK}
dataset_path: json
dataset_kwargs:
  data_files:
    test: evals/reviews.jsonl
test_split: test
output_type: multiple_choice
doc_to_text: "Review: {{sentence}}\\nAnswer:"
doc_to_choice: ["negative", "positive"]
doc_to_target: label
metric_list:
  - metric: acc
    aggregation: mean
    higher_is_better: true
`;

/** Every file under dir whose name matches, hidden folders included (lm-eval may name one ".__tiny"). */
function filesUnder(dir: string, match: RegExp): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? filesUnder(p, match) : match.test(n) ? [p] : [];
  });
}

test('lm_eval: a local custom task scores the trained LoRA adapter; metrics.json carries lm-eval\'s result', { skip: SKIP }, async () => {
  const data = Array.from({ length: ROWS }, (_, i) => JSON.stringify(review(200 + i))).join('\n') + '\n';
  const spec = { evaluation: { kind: 'lm_eval', lm_eval: { tasks: [TASK], metric: 'acc,none', include_path: 'evals' } } };
  const { exp, id, ckpt } = await runNode('hf', {}, { spec, files: { 'evals/reviews.yaml': TASK_YAML, 'evals/reviews.jsonl': data } });
  const results = filesUnder(join(ckpt, 'lm_eval'), /^results_.*\.json$/);
  assert.equal(results.length, 1, 'lm-eval wrote its results json');
  const doc = JSON.parse(readFileSync(results[0], 'utf8')) as { results: Record<string, Record<string, number>>; config: { model_args: Record<string, string> } };
  assert.equal(doc.config.model_args.peft, `nodes/${id}/ckpt`, 'lm-eval loaded the trained adapter');
  assert.equal(doc.config.model_args.pretrained, './tiny');
  assert.equal(doc.results[TASK].sample_len, ROWS, 'lm-eval read the local JSONL');
  const own = doc.results[TASK]['acc,none'];
  assert.equal(typeof own, 'number');
  const metrics = JSON.parse(readFileSync(exp.nodePath(id, 'metrics.json'), 'utf8')) as { metric: string; validation: { accuracy: number; tasks: string[] } };
  assert.equal(metrics.metric, 'accuracy');
  assert.deepEqual(metrics.validation.tasks, [TASK]);
  assert.equal(metrics.validation.accuracy, Math.round(own * 1e4) / 1e4, 'the node metric is lm-eval\'s acc');
  assert.equal(exp.tree.get(id).result?.score, metrics.validation.accuracy);
  const predictions = readFileSync(exp.nodePath(id, 'predictions.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { id: string; score: number });
  assert.equal(predictions.length, ROWS, 'one prediction per lm-eval sample');
  assert.equal(predictions.filter((p) => p.score === 1).length / ROWS, own, 'the per-sample scores add up to lm-eval\'s mean');
  exp.close();
});

test('lm_eval include_path goes to lm-eval and travels with the stage; paths outside the experiment are refused', () => {
  const plan = (include_path: string) =>
    planNodeStages(context(llmSpec({ evaluation: { kind: 'lm_eval', lm_eval: { tasks: [TASK], include_path } } }), train({ framework: 'hf' }))).evaluate;
  const evaluate = plan('./evals/');
  const i = evaluate.argv.indexOf('--include_path');
  assert.equal(evaluate.argv[i + 1], 'evals');
  assert.ok(evaluate.inputs.includes('evals'), JSON.stringify(evaluate.inputs));
  for (const bad of ['../outside', '/abs/tasks', 'evals/../../x', '']) {
    assert.throws(() => plan(bad), /evaluation\.lm_eval\.include_path must be a folder inside the experiment/, bad);
  }
});
