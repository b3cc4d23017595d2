// The proposal prompt: everything the Researcher needs to pick the next experiments from the
// selected node, each part capped so the prompt stays bounded at any tree size. Test scores are
// never shown: selection (and so proposing) works on validation scores only. The engine's evidence
// (noise, budget, leaderboard, effects by context, the parent's data and training) has its own
// token budget (EVIDENCE_TOKENS).
import { stringify } from 'yaml';
import recipeSchema from '../../../../schemas/recipe.schema.json';
import trainSchema from '../../../../schemas/train.schema.json';
import type { Experiment } from '../../experiment';
import { describeChanges, type Insights } from '../../insights';
import type { NodeConfig } from '../../spec/configPaths';
import { searchSettings, type Budget } from '../../spec/types';
import type { TreeNode } from '../../tree/tree';
import { summarizeSchema } from '../../llm/schemaSummary';
import { section, truncateEnd, truncateMiddle } from '../../llm/text';
import { CHARS_PER_TOKEN } from '../../llm/tokenEstimate';
import { describeBudget } from './budgetEvidence';
import { describeDataStats, describeSamples, readDataStats } from './dataEvidence';
import { describeEffectsByContext, describeLeaderboard } from './leaderboard';
import { describeNoise } from './noiseEvidence';
import { describeLoss, describeWarmStart, readLossSummary } from './trainingDynamics';

export interface ProposalPromptInput {
  exp: Experiment;
  parentId: string;
  parentConfig: NodeConfig;
  k: number;
  insights: Insights;
  guidance: string;
  insightsText: string;
  researchText: string;
  badCasesText: string;
  parentPlan: string;
  /** The search's budget; the spec's when absent. */
  budget?: Budget;
}

const LIMITS = { guidance: 3000, research: 3000, insights: 4000, plan: 1500, badCases: 1500, listed: 20 };
/** Tokens for the evidence block; each of its sections has its own share (characters). */
export const EVIDENCE_TOKENS = 3000;
const EVIDENCE = { noise: 1200, budget: 1200, leaderboard: 4000, effects: 2000, parent: 2400, samples: 3, sampleChars: 200, leaders: 5, changes: 12 };

export const PROPOSER_SYSTEM = [
  'You are the Researcher of TREX, which fine-tunes a language model by a tree search over experiments.',
  'Each experiment (node) is a data recipe (recipe.yaml) plus a training config (train.yaml); a child is an edit of its parent.',
  'You propose children of the selected node: each one tests one clear hypothesis that could improve the validation metric.',
  'Rules:',
  '- Express each child as edits {path, value_json} on the parent config; value_json is the JSON of the new value (0.0003, 4, "cosine", {"rank": 8}); null removes a field.',
  '- Only fields described in the config schema are allowed; respect their limits.',
  '- Prefer one or two changes per child so the effect can be attributed; make the children differ from each other.',
  '- Never repeat an experiment listed as already tried; learn from failures and from the insights.',
  '- Never change a path listed under "Never change": it defines the task itself.',
  '- A difference smaller than about 2 standard errors is noise: do not build on it.',
  '- The user\'s guidance overrides everything else.',
].join('\n');

function nodeLine(exp: Experiment, n: TreeNode): string {
  const tree = exp.tree;
  let outcome: string = n.status;
  if (n.status === 'succeeded' && n.result) outcome = `${tree.metric}=${n.result.score.toFixed(4)}${n.result.reusedFrom ? ` (same config as ${n.result.reusedFrom})` : ''}`;
  else if (n.status === 'failed' && n.failure) outcome = `FAILED in ${n.failure.stage}: ${truncateEnd(n.failure.reason.split('\n')[0], 200)}`;
  const pruned = tree.isPruned(n.id) ? ' [pruned by the user]' : '';
  const warm = describeWarmStart(n);
  return `- ${n.id} "${truncateEnd(n.title, 80)}": ${describeChanges(n)} → ${outcome}${warm ? ` — ${warm}` : ''}${pruned}`;
}

/** The selected node's data (stats and a few formatted samples) and how its training went. */
function parentEvidence(exp: Experiment, id: string): string {
  const lines: string[] = [];
  const node = exp.tree.get(id);
  const data = readDataStats(exp.nodePath(id, 'data_stats.json'));
  if (data) {
    lines.push(`Data (data_stats.json): ${describeDataStats(data)}`);
    const samples = describeSamples(data, EVIDENCE.samples, EVIDENCE.sampleChars);
    if (samples) lines.push(`Formatted training samples:\n${samples}`);
  } else lines.push('Data: no data_stats.json (not prepared yet, or the prepare stage failed).');
  const loss = readLossSummary(exp.nodePath(id));
  lines.push(loss ? `Training (trainer log): ${describeLoss(loss)}` : 'Training: no trainer log.');
  const warm = describeWarmStart(node);
  if (warm) lines.push(warm);
  return lines.join('\n');
}

const sub = (title: string, body: string, max: number) => (body.trim() ? `## ${title}\n\n${truncateMiddle(body.trim(), max)}\n` : '');

/** The engine's measured evidence, capped at EVIDENCE_TOKENS. */
export function buildEvidence(exp: Experiment, parentId: string, budget: Budget | undefined): string {
  const frozen = searchSettings(exp.spec).frozen;
  const parts = [
    frozen.length ? `## Never change (search.frozen: task-defining, any proposal that changes them is dropped)\n\n${frozen.map((f) => `- ${f}`).join('\n')}\n` : '',
    sub('Noise of the metric', describeNoise(exp), EVIDENCE.noise),
    sub('Budget and compute', describeBudget(exp, budget), EVIDENCE.budget),
    sub(`Leaderboard (top ${EVIDENCE.leaders} by validation ${exp.tree.metric}, full diff against the root)`, describeLeaderboard(exp, EVIDENCE.leaders), EVIDENCE.leaderboard),
    sub('Effects of each change by context (Δ of the child vs its parent, positive = better, labelled against noise)', describeEffectsByContext(exp, EVIDENCE.changes), EVIDENCE.effects),
    sub(`Data and training of ${parentId}`, parentEvidence(exp, parentId), EVIDENCE.parent),
  ].filter(Boolean);
  return truncateMiddle(`# Evidence measured by the engine\n\n${parts.join('\n')}`, EVIDENCE_TOKENS * CHARS_PER_TOKEN);
}

export function buildProposalPrompt(i: ProposalPromptInput): string {
  const { exp, parentId, k } = i;
  const tree = exp.tree;
  const spec = exp.spec;
  const parent = tree.get(parentId);
  const parts: string[] = [];

  parts.push(`# Task\n\nObjective: ${spec.objective}\nBase model: ${spec.base_model}\nMetric: ${spec.metric.name} (${spec.metric.goal}), measured on a fixed validation set.\n\n${truncateMiddle(stringify({ task: spec.task, evaluation: spec.evaluation }), 1500)}\n`);
  parts.push(`# Config schema (every allowed field)\n\n${[...summarizeSchema(recipeSchema, 'recipe'), ...summarizeSchema(trainSchema, 'train')].join('\n')}\n`);
  if (spec.task.kind === 'micro') {
    // The built-in micro trainer accepts less than the schema allows (trainer/trex_micro/config.py).
    parts.push('# Limits of the micro trainer (task kind micro)\n\nframework micro, method sft, finetuning full or lora; sources of kind generator only, with the task\'s generator; filters dedup, length, label_agreement; max_seq_len at most 128; lr_scheduler cosine, linear or constant.\n');
  }
  if (spec.search_space.length) {
    const knobs = spec.search_space.map((s) => `- ${s.path}: ${s.values ? `values ${JSON.stringify(s.values)}` : `range ${JSON.stringify(s.range)}${s.scale ? ` (${s.scale})` : ''}`}`);
    parts.push(`# Search space declared by the user (suggestions, not limits)\n\n${knobs.join('\n')}\n`);
  }
  parts.push(section('Guidance from the user (guidance.md) — follow it', i.guidance, LIMITS.guidance));
  parts.push(section('Research notes (research.md)', i.researchText, LIMITS.research));
  const effects = i.insights.effects
    .slice(0, 12)
    .map((e) => `- ${e.path} → ${e.to}: mean Δ ${e.meanDelta >= 0 ? '+' : ''}${e.meanDelta.toFixed(4)}${e.se !== undefined ? ` ± ${e.se.toFixed(4)} SE` : ''} over ${e.n} run(s): ${e.verdict}`);
  parts.push(section('Insights so far (insights.md)', i.insightsText, LIMITS.insights));
  if (effects.length) parts.push(`## Measured effects of single changes (positive = better)\n\n${effects.join('\n')}\n\n`);

  parts.push(buildEvidence(exp, parentId, i.budget));

  const ancestry = tree.ancestry(parentId);
  parts.push(`# Path from the root to the selected node\n\n${ancestry.slice(-12).map((n) => nodeLine(exp, n)).join('\n')}\n`);
  parts.push(`# Selected node ${parentId} (the parent of your proposals)\n\n${nodeLine(exp, parent)}\n\nIts config:\n\n\`\`\`yaml\n${truncateMiddle(stringify(i.parentConfig), 4000)}\`\`\`\n`);
  parts.push(section(`Plan of ${parentId}`, i.parentPlan, LIMITS.plan));
  parts.push(section(`Bad cases of ${parentId} (wrong validation predictions)`, i.badCasesText, LIMITS.badCases));

  const children = parent.children.map((id) => tree.get(id));
  if (children.length) parts.push(`# Already tried from ${parentId} (do not repeat)\n\n${children.slice(-LIMITS.listed).map((n) => nodeLine(exp, n)).join('\n')}\n`);
  const siblings = parent.parent ? tree.get(parent.parent).children.filter((id) => id !== parentId).map((id) => tree.get(id)) : [];
  if (siblings.length) parts.push(`# Siblings of ${parentId} (other edits of its parent)\n\n${siblings.slice(-LIMITS.listed).map((n) => nodeLine(exp, n)).join('\n')}\n`);
  const failures = i.insights.failures.slice(-5);
  if (failures.length) parts.push(`# Recent failures anywhere in the tree\n\n${failures.map((f) => `- ${f.id} (${f.change}) failed in ${f.stage}: ${truncateEnd(f.reason.split('\n')[0], 160)}`).join('\n')}\n`);

  parts.push(
    `# Your job\n\nPropose exactly ${k} child experiment(s) of ${parentId}. For each: a short title, the hypothesis, the rationale (cite insights, research or bad cases), the evidence, and the edits. ` +
      `The tree already holds ${tree.nodes.size} node(s); configs identical to any of them are discarded.`,
  );
  return parts.filter(Boolean).join('\n');
}
