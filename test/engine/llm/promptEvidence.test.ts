// What the Researcher is shown: after a short real search (micro task, real training, the LLM
// proposer through the fake OpenAI server), the recorded proposal prompt carries the parent's data
// stats and samples, its loss curve from the trainer log, the warm start of an epochs-only child,
// the metric's standard error for the validation size, runs left, a leaderboard with full diffs,
// effects by context and the frozen paths. And insights.md labels a small effect as noise.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { computeInsights, Experiment, initExperiment, renderInsights } from '../../../src/engine';
import { buildEvidence, EVIDENCE_TOKENS, PROMPT_TOKENS, PROPOSER_SYSTEM } from '../../../src/engine/proposers/llm/prompt';
import { estimateTokens } from '../../../src/engine/llm/tokenEstimate';
import type { RecordedRequest } from './fakeOpenAI';
import { MICRO_SPEC, newExperiment, tempDir } from './helpers';
import { oneEditIdea, runLlmSearch, useFakeServers } from './llmSearch';
import { scriptedLlm } from './scriptedLlm';

const servers = useFakeServers();

const FROZEN = ['recipe.sources.0.generator', 'recipe.sources.0.num_examples'];
const SPEC = MICRO_SPEC.replace('search: { policy: greedy, children_per_expansion: 2 }', `search: { policy: greedy, children_per_expansion: 1, frozen: [${FROZEN.join(', ')}] }`).replace(
  'format: { template: plain }',
  'format: { template: plain }\n    filters: [{ kind: dedup }]',
);


function lossOf(exp: Experiment, id: string): { first: number; min: number; final: number; steps: number } {
  const rows = readFileSync(exp.nodePath(id, 'ckpt', 'trainer_log.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { loss: number; current_steps: number });
  const losses = rows.map((r) => r.loss);
  return { first: losses[0], min: Math.min(...losses), final: losses[losses.length - 1], steps: rows[rows.length - 1].current_steps };
}

test('the proposal prompt shows data stats, loss summary, warm start, noise, budget, leaderboard and frozen paths', { timeout: 600_000 }, async (t) => {
  const dir = join(tempDir(), 'exp');
  initExperiment(dir, SPEC);
  const exp = Experiment.open(dir);
  const rest = scriptedLlm(() => exp.dir);
  const ideas = [oneEditIdea('two epochs', 'train.epochs', 2), oneEditIdea('lr 3e-3', 'train.learning_rate', 0.003), oneEditIdea('batch 16', 'train.batch_size', 16)];
  let proposals = 0;
  servers.fake.handler = (req: RecordedRequest) => (req.kind === 'proposals' ? { json: { proposals: [ideas[Math.min(proposals++, ideas.length - 1)]] } } : rest(req));
  const summary = await runLlmSearch(exp, servers, { maxRuns: 3 });
  assert.equal(summary.reason, 'budget');

  const tree = exp.tree;
  const n1 = tree.get('n0001');
  assert.equal(n1.status, 'succeeded', n1.failure?.reason);
  assert.equal(n1.result?.warmStartFrom, 'n0000', 'raising only the epochs continued the parent checkpoint');
  const requests = servers.fake.requests.filter((r) => r.kind === 'proposals');
  assert.ok(requests.length >= 2, `${requests.length} proposal requests`);
  const last = requests[requests.length - 1];
  const prompt = String(last.body.messages[1].content);
  const parent = /# Selected node (n\d{4})/.exec(prompt)?.[1];
  assert.ok(parent, 'the prompt names its parent');
  // Nodes created from this prompt are excluded from what it could have seen.
  const seen = [...tree.nodes.values()].filter((n) => n.id <= 'n0001' && n.result && !n.result.reusedFrom);
  assert.deepEqual(seen.map((n) => n.id), ['n0000', 'n0001']);

  // Data: the parent's data_stats.json numbers and a formatted sample.
  const stats = JSON.parse(readFileSync(exp.nodePath(parent, 'data_stats.json'), 'utf8')) as { num_examples: number; dropped: Record<string, number>; prompt_chars: { mean: number; max: number }; samples: { prompt: string }[] };
  assert.ok(prompt.includes(`Data (data_stats.json): kept ${stats.num_examples} examples; dropped by filter: dedup ${stats.dropped.dedup}`), 'kept and dropped counts');
  assert.ok(prompt.includes(`prompt chars mean ${stats.prompt_chars.mean} max ${stats.prompt_chars.max}`));
  assert.ok(prompt.includes(`prompt: ${JSON.stringify(stats.samples[0].prompt)}`), 'a formatted training sample');
  // Training dynamics from the trainer log, for the parent and for every leaderboard node.
  for (const id of ['n0000', 'n0001']) {
    const loss = lossOf(exp, id);
    assert.ok(prompt.includes(`train loss first ${loss.first}, min ${loss.min}, final ${loss.final}`), `loss summary of ${id}`);
    assert.ok(prompt.includes(`${loss.steps} optimizer steps run`), `steps of ${id}`);
  }
  assert.ok(prompt.includes('WARM START from n0000 (epochs 1→2: trained only the 1 extra epoch(s)'), 'the warm start is not shown as a fresh run');
  // Noise: the binomial SE at the best score for the validation size (metrics.json says n).
  const best = seen.reduce((a, b) => (b.result!.score > a.result!.score ? b : a));
  const p = best.result!.score;
  const q = Math.min(Math.max(p, 0.5 / 20), 1 - 0.5 / 20); // a 0/20 score is not noise-free
  const se = Math.sqrt((q * (1 - q)) / 20);
  assert.ok(se > 0);
  assert.ok(prompt.includes(`Validation size n=20: the standard error of exact_match at p=${p.toFixed(4)} is ${se.toFixed(4)} (sqrt(p(1-p)/n)`), 'SE for the validation size');
  assert.ok(prompt.includes(`a difference under 2 SE (${(2 * se).toFixed(4)}) between two nodes is within noise`));
  // Budget: 2 runs spent when the last proposal was asked for, 1 left of 3.
  assert.ok(prompt.includes('- Runs: 2 spent, 1 left of 3'), 'runs left');
  assert.match(prompt, /- Time per node: [\d.]+ min of compute on average over 2 run\(s\)/);
  assert.match(prompt, /raising only train\.epochs \(with no max_steps\) or only train\.max_steps continues the parent's checkpoint/);
  // Leaderboard: the best node first, with its diff against the root; effects by context.
  assert.ok(prompt.includes(`1. ${best.id} "`), `leaderboard led by ${best.id}`);
  assert.ok(prompt.includes(`diff vs root n0000: ${best.id === 'n0000' ? '(the root)' : 'train.epochs: 1 → 2'}`));
  assert.match(prompt, /- train\.epochs → 2: under n0000 \(n0001\): [+-]\d\.\d{4} (helped|hurt|within noise)/);
  // Frozen paths.
  assert.ok(prompt.includes(`## Never change (search.frozen`), 'frozen section');
  for (const f of FROZEN) assert.ok(prompt.includes(`- ${f}\n`), `frozen ${f}`);

  const evidence = buildEvidence(exp, parent, { max_runs: 3 });
  const sizes = requests.map((r) => estimateTokens(PROPOSER_SYSTEM) + estimateTokens(String(r.body.messages[1].content)));
  t.diagnostic(`proposal prompt tokens (estimated, system + user) per request: ${sizes.join(', ')}; evidence block now ${estimateTokens(evidence)} of ${EVIDENCE_TOKENS}`);
  assert.ok(estimateTokens(evidence) <= EVIDENCE_TOKENS);
  for (const r of requests) assert.ok(estimateTokens(String(r.body.messages[1].content)) <= PROMPT_TOKENS, 'the user message fits its budget');
});

test('insights.md calls an effect under 2 standard errors "within noise", not "helped"', () => {
  const exp = newExperiment(MICRO_SPEC.replace('validation_size: 20', 'validation_size: 200'));
  const base = exp.readNodeConfig('n0000');
  const child = (title: string, lr: number) =>
    exp.createNode({ parent: 'n0000', origin: 'proposer', title, plan: `# ${title}\n`, config: { ...base, train: { ...base.train, learning_rate: lr } }, changes: [{ path: 'train.learning_rate', from: 0.001, to: lr }] });
  const small = child('small gain', 0.003);
  const big = child('big gain', 0.0003);
  const result = (score: number) => ({ score, metrics: { validation: { exact_match: score, n: 200 } }, wallMs: 1, computeMs: 1, savedMs: 0 });
  exp.emit({ type: 'node_result', id: 'n0000', result: result(0.5) });
  exp.emit({ type: 'node_result', id: small, result: result(0.515) });
  exp.emit({ type: 'node_result', id: big, result: result(0.62) });
  const insights = computeInsights(exp.tree);
  const bySmall = insights.effects.find((e) => e.to === '0.003')!;
  // SE at p ≈ 0.5 on 200 examples is ≈ 0.035: +0.015 is well inside 2 SE; +0.12 is not.
  assert.equal(bySmall.verdict, 'within noise');
  assert.ok(Math.abs(bySmall.se! - Math.sqrt((0.5075 * 0.4925) / 200)) < 1e-9);
  assert.equal(insights.effects.find((e) => e.to === '0.0003')!.verdict, 'helped');
  const md = renderInsights(exp.tree, insights);
  const helped = md.slice(md.indexOf('## Changes that helped'), md.indexOf('## Changes that hurt'));
  const noise = md.slice(md.indexOf('## Changes within noise'));
  const se = (p: number) => Math.sqrt((p * (1 - p)) / 200).toFixed(4);
  assert.ok(helped.includes(`\`train.learning_rate\` → 0.0003: +0.12 ± ${se(0.56)} SE`), helped);
  assert.ok(!helped.includes('→ 0.003:'), helped);
  assert.ok(noise.includes(`\`train.learning_rate\` → 0.003: +0.015 ± ${se(0.5075)} SE on average (1/1 improved)`), noise);
  exp.close();
});
