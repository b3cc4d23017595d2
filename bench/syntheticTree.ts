// A realistic tree of any size for measuring prompts, built without training: the sentiment task's
// spec, nodes that each change one or two knobs of a parent, validation scores with the sample size
// (so noise is computed), compute times, warm starts, failures, and per node the files the prompt
// reads: data_stats.json, ckpt/trainer_log.jsonl and bad_cases.md. guidance.md, research.md and
// insights.md are written at their usual sizes, so every item of the proposal prompt is present.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { computeInsights, Experiment, getPath, initExperiment, renderInsights, Rng, setPath, type Json, type NodeConfig } from '../src/engine';
import { examplesDir } from '../src/engine';
import { BAD_CASES_FILE } from '../src/engine/llm/executorAgent/badCases';
import { TRAINER_LOG } from '../src/engine/proposers/llm/trainingDynamics';

const KNOBS: { path: string; values: Json[] }[] = [
  { path: 'train.learning_rate', values: [0.0003, 0.001, 0.003, 0.01] },
  { path: 'train.epochs', values: [2, 3, 5, 8] },
  { path: 'train.batch_size', values: [16, 32, 64] },
  { path: 'train.warmup_ratio', values: [0, 0.05, 0.1] },
  { path: 'train.weight_decay', values: [0, 0.01, 0.1] },
  { path: 'train.finetuning', values: ['full', 'lora'] },
  { path: 'train.lora.rank', values: [4, 8, 16, 32] },
  { path: 'train.lr_scheduler', values: ['cosine', 'linear', 'constant'] },
  { path: 'recipe.sources.0.num_examples', values: [500, 1000, 2000, 4000] },
  { path: 'recipe.filters', values: [[{ kind: 'dedup' }], [{ kind: 'dedup' }, { kind: 'label_agreement', min_agreement: 0.5 }]] },
];

const VALIDATION = 200;
const REVIEWS = ['the pasta was not bad at all, and the staff were friendly', 'cold soup, rude waiter, never again', 'not the best pizza in town but the service was great', 'I would not say the dessert was good', 'lovely terrace; the wine list is short'];

/** The sentiment example's spec with a budget large enough for `size` runs. */
export function syntheticSpec(size: number): string {
  const text = readFileSync(join(examplesDir(), 'sentiment', 'trex.yaml'), 'utf8');
  return text.replace(/^budget: .*$/m, `budget: {max_runs: ${size + 50}, max_compute_hours: ${Math.ceil(size / 4)}, max_llm_cost_usd: 0}`);
}

function writeNodeEvidence(exp: Experiment, id: string, config: NodeConfig, score: number, rng: Rng): void {
  const n = Number(getPath(config, 'recipe.sources.0.num_examples') ?? 1000);
  const agreement = JSON.stringify(getPath(config, 'recipe.filters') ?? []).includes('label_agreement');
  const dropped: Record<string, number> = { dedup: Math.round(n * 0.02) };
  if (agreement) dropped.label_agreement = Math.round(n * 0.22);
  const kept = n - Object.values(dropped).reduce((a, b) => a + b, 0);
  const samples = REVIEWS.map((r, i) => ({ prompt: `Review: ${r}\nSentiment:`, response: i % 2 ? ' negative' : ' positive' }));
  const stats = { num_examples: kept, dropped, by_source: { reviews: kept }, prompt_chars: { mean: 61.4, max: 118 }, response_chars: { mean: 8.5, max: 9 }, prompt_tokens: { mean: 15.2, max: 29 }, response_tokens: { mean: 2, max: 2 }, samples };
  writeFileSync(exp.nodePath(id, 'data_stats.json'), JSON.stringify(stats));

  const epochs = Number(getPath(config, 'train.epochs') ?? 3);
  const batch = Number(getPath(config, 'train.batch_size') ?? 32);
  const total = Math.ceil((kept * epochs) / batch);
  const rows: string[] = [];
  let loss = 0.72 + rng.next() * 0.05;
  for (let step = 10; step <= total; step += 10) {
    loss = Math.max(0.2, loss * (0.97 + rng.next() * 0.02));
    const row: Record<string, number> = { current_steps: step, total_steps: total, loss: Number(loss.toFixed(4)), learning_rate: 0.001 };
    if (step % 50 === 0) row.eval_loss = Number((loss + 0.05 + (1 - score) * 0.1).toFixed(4));
    rows.push(JSON.stringify(row));
  }
  mkdirSync(dirname(exp.nodePath(id, TRAINER_LOG)), { recursive: true });
  writeFileSync(exp.nodePath(id, TRAINER_LOG), rows.join('\n') + '\n');

  const wrong = Math.round((1 - score) * VALIDATION);
  const badCases = [
    `# Bad cases of ${id}`,
    '',
    `${wrong} of ${VALIDATION} validation predictions wrong.`,
    '',
    '## Patterns',
    '',
    `- negated positive ("not bad") predicted negative: ${Math.round(wrong * 0.45)}`,
    `- mixed review (one good, one bad clause) predicted by the first clause: ${Math.round(wrong * 0.3)}`,
    `- short review (under 6 words): ${Math.round(wrong * 0.15)}`,
    '',
    '## Sample',
    '',
    ...REVIEWS.slice(0, 4).map((r) => `- "${r}" expected positive, predicted negative`),
    '',
    '## Analysis',
    '',
    'The model keys on negative words and ignores negation scope; the label-agreement filter removes flipped labels that teach exactly this. More data with negations, or fewer noisy labels, should help.',
  ].join('\n');
  writeFileSync(exp.nodePath(id, BAD_CASES_FILE), badCases);
}

const RESEARCH = [
  '# Research notes',
  '',
  '## Literature',
  '',
  ...Array.from({ length: 8 }, (_, i) => `- Paper ${i + 1} (https://arxiv.org/abs/2401.0${1000 + i}): learning with noisy labels — small-loss selection, label smoothing and agreement filters recover most of the clean accuracy when the noise rate is under 40%; negation handling needs explicit examples.`),
  '',
  '## Candidate datasets',
  '',
  '- stanfordnlp/sst2: columns sentence, label; splits train 67k / validation 872; licence unknown.',
  '- yelp_polarity: columns text, label; splits train 560k / test 38k; licence see the Yelp dataset terms.',
  '- imdb: columns text, label; splits train 25k / test 25k; licence other.',
  '',
  // A refresh a plateau started during the search (llm/research/refresh.ts), as research.md holds it.
  '## Research refresh (2026-01-01): the search is on a plateau: the last 4 finished node(s) did not beat the best accuracy (n0012 0.8350)',
  '',
  '_By gpt-4o-mini; 3 source(s) consulted._',
  '',
  'Past a plateau under label noise, co-teaching and loss-based sample selection help more than further tuning of the learning rate.',
  '',
  ...Array.from({ length: 5 }, (_, i) => `- Idea: ${['drop the 20% highest-loss examples after epoch 1', 'label smoothing 0.1 with the agreement filter', 'two epochs of warm-up on the agreement-filtered subset', 'mix 30% SST-2 sentences into the training data', 'lower the learning rate by 3× for the last epoch'][i]}`),
  ...Array.from({ length: 3 }, (_, i) => `- Paper ${i + 9} (https://arxiv.org/abs/2402.0${2000 + i}): co-teaching variants on sentiment under 30% symmetric noise recover 2–4 points over plain fine-tuning. [arXiv 2402.0${2000 + i}](https://arxiv.org/abs/2402.0${2000 + i})`),
].join('\n');

const GUIDANCE = '# Guidance\n\nKeep the noise rate as it is: the task is learning from noisy labels. Prefer cheap changes first (filters, learning rate) before more data. Do not exceed 5 epochs without a reason.\n';

/** Creates `size` nodes (the root and size-1 children) in a fresh experiment under `dir`. */
export function buildSyntheticTree(dir: string, size: number, rng: Rng): Experiment {
  initExperiment(dir, syntheticSpec(size));
  const exp = Experiment.open(dir);
  const baseline: NodeConfig = { recipe: exp.spec.baseline.recipe as NodeConfig['recipe'], train: exp.spec.baseline.train as NodeConfig['train'] };
  const root = exp.createNode({ parent: null, origin: 'root', title: 'baseline', plan: '# Baseline\n', config: baseline, changes: [] });
  succeed(exp, root, baseline, 0.71, rng);
  growTree(exp, size - 1, rng);
  writeFileSync(join(dir, 'guidance.md'), GUIDANCE);
  writeFileSync(join(dir, 'research.md'), RESEARCH);
  writeFileSync(join(dir, 'insights.md'), renderInsights(exp.tree, computeInsights(exp.tree)));
  return exp;
}

function succeed(exp: Experiment, id: string, config: NodeConfig, score: number, rng: Rng, warmFrom?: string): void {
  writeNodeEvidence(exp, id, config, score, rng);
  const computeMs = Math.round((4 + rng.next() * 8) * 60_000);
  exp.emit({ type: 'stage_finished', id, stage: 'train', exitCode: 0, wallMs: computeMs });
  exp.emit({ type: 'node_result', id, result: { score, metrics: { validation: { accuracy: score, n: VALIDATION } }, wallMs: computeMs, computeMs, savedMs: 0, ...(warmFrom ? { warmStartFrom: warmFrom } : {}) } });
}

/** Adds `count` finished children (about 1 in 8 failed), each one or two knob changes from a good parent. */
export function growTree(exp: Experiment, count: number, rng: Rng): void {
  const scores = new Map<string, number>();
  for (const n of exp.tree.nodes.values()) if (n.result) scores.set(n.id, n.result.score);
  for (let i = 0; i < count; i++) {
    // Parents are mostly among the better half, as a search that exploits picks them.
    const ranked = [...scores.entries()].sort((a, b) => b[1] - a[1]);
    const [parent, parentScore] = ranked[rng.int(Math.max(1, Math.ceil(ranked.length / 2)))];
    let config = exp.readNodeConfig(parent);
    const changes: { path: string; from: Json | null; to: Json }[] = [];
    for (let c = 0; c < (rng.next() < 0.6 ? 1 : 2); c++) {
      const knob = KNOBS[rng.int(KNOBS.length)];
      const from = getPath(config, knob.path) ?? null;
      const options = knob.values.filter((v) => JSON.stringify(v) !== JSON.stringify(from));
      const to = options[rng.int(options.length)];
      config = setPath(config, knob.path, to);
      changes.push({ path: knob.path, from, to });
    }
    const title = changes.map((c) => `${c.path.split('.').pop()} ${JSON.stringify(c.to)}`).join(', ');
    const plan = `# ${title}\n\n## Hypothesis\n\n${title} improves accuracy on negated reviews.\n\n## Rationale\n\nThe bad cases of ${parent} are mostly negations; the insights say this direction helped.\n`;
    const id = exp.createNode({ parent, origin: 'proposer', proposer: 'llm', title, plan, config, changes });
    if (rng.next() < 0.12) {
      exp.emit({ type: 'node_failed', id, stage: 'train', reason: 'CUDA out of memory. Tried to allocate 2.00 GiB (GPU 0; 79.15 GiB total capacity)', logTail: 'Traceback (most recent call last):\n  ...\ntorch.OutOfMemoryError: CUDA out of memory.' });
      continue;
    }
    const onlyEpochsUp = changes.length === 1 && changes[0].path === 'train.epochs' && Number(changes[0].to) > Number(changes[0].from);
    const score = Number(Math.min(0.97, Math.max(0.5, parentScore + (rng.next() - 0.45) * 0.06)).toFixed(3));
    scores.set(id, score);
    succeed(exp, id, config, score, rng, onlyEpochsUp ? parent : undefined);
  }
}
