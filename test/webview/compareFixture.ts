// A real experiment folder for the compare, knobs and experiment views: the addition example's
// trex.yaml, a baseline and children that change search_space knobs (files written by the
// engine's own createNode), results and failures recorded as tree events, trainer logs in the
// format LLaMA-Factory writes, and the notes the search keeps.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Experiment, initExperiment, INSIGHTS_FILE, readExample, setPath, type Json, type NodeConfig } from '../../src/engine';
import { RESEARCH_FILE } from '../../src/engine/llm';
import { tempDir } from '../helpers/cli';

export interface CompareFixture {
  exp: Experiment;
  /** Node ids by role. */
  ids: { base: string; lr: string; reversed: string; lora: string; queued: string };
}

function child(exp: Experiment, parent: string, title: string, edits: [string, Json][]): string {
  let config: NodeConfig = exp.readNodeConfig(parent);
  const changes = edits.map(([path, to]) => {
    config = setPath(config, path, to);
    return { path, from: null, to };
  });
  return exp.createNode({ parent, origin: 'proposer', title, plan: `# ${title}\n`, config, changes });
}

function trainerLog(exp: Experiment, id: string, start: number, rate: number): void {
  const dir = exp.nodePath(id, 'ckpt');
  mkdirSync(dir, { recursive: true });
  const lines = Array.from({ length: 30 }, (_, i) => JSON.stringify({ current_steps: (i + 1) * 2, total_steps: 60, loss: Number((start * Math.exp(-i * rate) + 0.2).toFixed(4)) }));
  writeFileSync(join(dir, 'trainer_log.jsonl'), lines.join('\n') + '\n');
}

function succeed(exp: Experiment, id: string, score: number, computeMs: number): void {
  exp.emit({ type: 'node_status', id, status: 'running', stage: 'train' });
  exp.emit({ type: 'node_result', id, result: { score, testScore: score - 0.02, metrics: { exact_match: score, loss: 0.3 }, wallMs: computeMs + 500, computeMs, savedMs: 0 } });
}

export function compareFixture(): CompareFixture {
  const dir = tempDir('trex-views-');
  initExperiment(dir, readExample('addition').text);
  const exp = Experiment.open(dir);
  const spec = exp.spec;
  const base = exp.createNode({ parent: null, origin: 'root', title: 'baseline', plan: '# baseline\n', config: { recipe: spec.baseline.recipe as never, train: spec.baseline.train as never }, changes: [] });
  const lr = child(exp, base, 'learning_rate=0.01', [['train.learning_rate', 0.01]]);
  const reversed = child(exp, lr, 'reversed answers, 10 epochs', [['recipe.format.template', 'reversed'], ['train.epochs', 10]]);
  const lora = child(exp, base, 'lora, 3000 examples', [['train.finetuning', 'lora'], ['recipe.sources.0.num_examples', 3000]]);
  const queued = child(exp, reversed, 'learning_rate=0.001', [['train.learning_rate', 0.001]]);
  succeed(exp, base, 0.12, 40_000);
  succeed(exp, lr, 0.31, 50_000);
  succeed(exp, reversed, 0.58, 90_000);
  exp.emit({ type: 'node_status', id: lora, status: 'running', stage: 'train' });
  exp.emit({ type: 'node_failed', id: lora, stage: 'train', reason: 'exit code 1', logTail: '', computeMs: 5_000 });
  trainerLog(exp, base, 2.5, 0.05);
  trainerLog(exp, lr, 2.5, 0.1);
  trainerLog(exp, reversed, 2.4, 0.16);
  exp.emit({ type: 'usage', id: null, role: 'proposer', tokens: 12_345, costUsd: 0.0421 });
  writeFileSync(join(dir, INSIGHTS_FILE), '# Insights\n\n- train.learning_rate 0.003 → 0.01: +0.19 (1 run)\n');
  writeFileSync(join(dir, RESEARCH_FILE), '# Research\n\nReversed digit order makes carries local (Lee et al., 2023).\n');
  return { exp, ids: { base, lr, reversed, lora, queued } };
}
