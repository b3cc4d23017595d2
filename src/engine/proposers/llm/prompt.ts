// The proposal prompt: everything the Researcher needs to pick the next experiments from the
// selected node. Each part has a cap and the whole message one token budget (PROMPT_TOKENS,
// promptBudget.ts), so the prompt stays bounded at any tree size with every section present. Test
// scores are never shown: selection (and so proposing) works on validation scores only.
import { stringify } from 'yaml';
import type { Experiment } from '../../experiment';
import { describeChanges, type Insights } from '../../insights';
import type { NodeConfig } from '../../spec/configPaths';
import { searchSettings, type Budget } from '../../spec/types';
import type { TreeNode } from '../../tree/tree';
import { truncateEnd, truncateMiddle } from '../../llm/text';
import { CHARS_PER_TOKEN } from '../../llm/tokenEstimate';
import { describeBudget } from './budgetEvidence';
import { describeConfigSchema } from '../../llm/compactSchema';
import { describeDataStats, describeSamples, readDataStats } from './dataEvidence';
import { describeEffectsByContext, describeLeaderboard } from './leaderboard';
import { describeNoise } from './noiseEvidence';
import { fitParts, type PromptPart } from './promptBudget';
import type { ExpansionStep } from '../../search/llmUct';
import type { StepKind } from '../../tree/events';
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
  /** The latest research refresh section of research.md (researchText then holds the rest). */
  researchRefresh?: string;
  /** The kind of step asked of this expansion (policy llm-uct), and why. */
  step?: ExpansionStep;
}

/** Tokens of the whole user message: every part is capped, and the cuttable ones share what is left. */
export const PROMPT_TOKENS = 4600;
/** Tokens for the evidence block when it is built on its own. */
export const EVIDENCE_TOKENS = 3000;
/** Caps of the parts, in characters (about 4 a token). */
const CAP = { task: 1500, guidance: 3000, research: 2000, refresh: 1500, insights: 3000, effects1: 1500, plan: 1500, badCases: 1500, config: 4000, path: 1600, listed: 1200, failures: 800 };
const EVIDENCE = { noise: 1200, budget: 1200, leaderboard: 3200, effects: 1800, parent: 2400, samples: 3, sampleChars: 200, leaders: 5, changes: 12 };
const LISTED = 20;

/** What each kind of step (chosen under llm-uct) asks of the children. */
const STEP_ASK: Record<StepKind, string> = {
  improve: 'refine what works in this node: small, attributable changes around its config.',
  explore: 'try a direction not yet tried near this node: a change of a different kind from its siblings and children.',
  debug: 'fix the problem its failed children or its bad cases show, keeping what works.',
};

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
  '- Data changes no field expresses (cleaning, rewriting, augmenting rows; not for task kind micro): put a Python script in the child\'s `files` and run it with a recipe.filters step {"kind": "script", "path": "<its path>"}; it reads JSONL examples on stdin and writes JSONL on stdout.',
  '- A new Hugging Face source (kind hf: dataset, split, params.mapping onto its real columns) is test-loaded on a few rows before it is queued.',
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

/** Failures grouped by stage and first line of the reason: the same out-of-memory error on ten nodes is one line. */
export function groupFailures(failures: readonly { id: string; change: string; stage: string; reason: string }[]): string[] {
  const groups = new Map<string, { stage: string; reason: string; items: { id: string; change: string }[] }>();
  for (const f of failures) {
    const reason = truncateEnd(f.reason.split('\n')[0], 160);
    const key = `${f.stage}\u0000${reason}`;
    const g = groups.get(key) ?? { stage: f.stage, reason, items: [] };
    g.items.push({ id: f.id, change: f.change });
    groups.set(key, g);
  }
  return [...groups.values()].map((g) =>
    g.items.length === 1
      ? `- ${g.items[0].id} (${truncateEnd(g.items[0].change, 160)}) failed in ${g.stage}: ${g.reason}`
      : `- ${g.items.length} nodes failed in ${g.stage}: ${g.reason} — ${g.items.map((x) => x.id).join(', ')}`,
  );
}

/** The engine's measured evidence, one part per section (the headings are what the rules and tests look for). */
function evidenceParts(exp: Experiment, parentId: string, budget: Budget | undefined): PromptPart[] {
  const frozen = searchSettings(exp.spec).frozen;
  return [
    { head: '## Never change (search.frozen: task-defining, any proposal that changes them is dropped)', body: frozen.map((f) => `- ${f}`).join('\n'), fixed: true },
    { head: '## Noise of the metric', body: describeNoise(exp), capChars: EVIDENCE.noise },
    { head: '## Budget and compute', body: describeBudget(exp, budget), capChars: EVIDENCE.budget },
    { head: `## Leaderboard (top ${EVIDENCE.leaders} by validation ${exp.tree.metric}, full diff against the root)`, body: describeLeaderboard(exp, EVIDENCE.leaders), capChars: EVIDENCE.leaderboard, ranked: true },
    { head: '## Effects of each change by context (Δ of the child vs its parent, positive = better, labelled against noise)', body: describeEffectsByContext(exp, EVIDENCE.changes), capChars: EVIDENCE.effects, ranked: true },
    { head: `## Data and training of ${parentId}`, body: parentEvidence(exp, parentId), capChars: EVIDENCE.parent, fixed: true },
  ];
}

const EVIDENCE_HEAD: PromptPart = { head: '# Evidence measured by the engine', body: 'From the results of this tree (validation only).', fixed: true };

/** The engine's measured evidence on its own, within EVIDENCE_TOKENS. */
export function buildEvidence(exp: Experiment, parentId: string, budget: Budget | undefined): string {
  return fitParts([EVIDENCE_HEAD, ...evidenceParts(exp, parentId, budget)], EVIDENCE_TOKENS * CHARS_PER_TOKEN)
    .filter(Boolean)
    .join('\n');
}

const listOf = (exp: Experiment, nodes: TreeNode[]) => nodes.slice(-LISTED).map((n) => nodeLine(exp, n)).join('\n');

export function buildProposalPrompt(i: ProposalPromptInput): string {
  const { exp, parentId, k } = i;
  const tree = exp.tree;
  const spec = exp.spec;
  const parent = tree.get(parentId);
  const knobs = spec.search_space.map((s) => `- ${s.path}: ${s.values ? `values ${JSON.stringify(s.values)}` : `range ${JSON.stringify(s.range)}${s.scale ? ` (${s.scale})` : ''}`}`);
  // insights.md already lists the measured effects (the engine writes them into it); shown here only before it exists.
  const effects = i.insightsText.trim()
    ? []
    : i.insights.effects.slice(0, 12).map((e) => `- ${e.path} → ${e.to}: mean Δ ${e.meanDelta >= 0 ? '+' : ''}${e.meanDelta.toFixed(4)}${e.se !== undefined ? ` ± ${e.se.toFixed(4)} SE` : ''} over ${e.n} run(s): ${e.verdict}`);
  const children = parent.children.map((id) => tree.get(id));
  const siblings = parent.parent ? tree.get(parent.parent).children.filter((id) => id !== parentId).map((id) => tree.get(id)) : [];
  const parts: PromptPart[] = [
    {
      head: '# Task',
      body: `Objective: ${spec.objective}\nBase model: ${spec.base_model}\nMetric: ${spec.metric.name} (${spec.metric.goal}), measured on a fixed validation set.\n\n${truncateMiddle(stringify({ task: spec.task, evaluation: spec.evaluation }), CAP.task)}`,
      fixed: true,
    },
    { head: `# Config schema (every field you may edit${spec.task.kind === 'micro' ? ' for this task' : ''})`, body: describeConfigSchema(spec.task.kind), fixed: true },
    // The built-in micro trainer accepts less than the schema allows (trainer/trex_micro/config.py).
    spec.task.kind === 'micro'
      ? { head: '# Limits of the micro trainer (task kind micro)', body: "framework micro, method sft, finetuning full or lora; sources of kind generator only, with the task's generator; filters dedup, length, label_agreement; max_seq_len at most 128; lr_scheduler cosine, linear or constant.", fixed: true }
      : undefined,
    { head: '# Search space declared by the user (suggestions, not limits)', body: knobs.join('\n'), fixed: true },
    { head: '## Guidance from the user (guidance.md) — follow it', body: i.guidance, capChars: CAP.guidance, fixed: true },
    { head: '## Research notes (research.md)', body: i.researchText, capChars: CAP.research },
    { head: '## Latest research refresh (research.md, written when the evidence changed)', body: i.researchRefresh ?? '', capChars: CAP.refresh },
    { head: '## Insights so far (insights.md)', body: i.insightsText, capChars: CAP.insights },
    { head: '## Measured effects of single changes (positive = better)', body: effects.join('\n'), capChars: CAP.effects1 },
    EVIDENCE_HEAD,
    ...evidenceParts(exp, parentId, i.budget),
    { head: '# Path from the root to the selected node', body: tree.ancestry(parentId).slice(-12).map((n) => nodeLine(exp, n)).join('\n'), capChars: CAP.path },
    { head: `# Selected node ${parentId} (the parent of your proposals, last on the path above)`, body: `Its config:\n\n\`\`\`yaml\n${truncateMiddle(stringify(i.parentConfig), CAP.config)}\`\`\``, fixed: true },
    { head: `## Plan of ${parentId}`, body: i.parentPlan, capChars: CAP.plan },
    { head: `## Bad cases of ${parentId} (wrong validation predictions)`, body: i.badCasesText, capChars: CAP.badCases },
    { head: `# Already tried from ${parentId} (do not repeat)`, body: listOf(exp, children), capChars: CAP.listed },
    { head: `# Siblings of ${parentId} (other edits of its parent)`, body: listOf(exp, siblings), capChars: CAP.listed },
    { head: '# Recent failures anywhere in the tree', body: groupFailures(i.insights.failures.slice(-10)).join('\n'), capChars: CAP.failures },
    i.step ? { head: `# Step asked of this expansion: ${i.step.kind}`, body: `${STEP_ASK[i.step.kind]}\nWhy ${parentId} was chosen: ${truncateEnd(i.step.reason, 600)}`, fixed: true } : undefined,
    {
      head: '# Your job',
      body:
        `Propose exactly ${k} child experiment(s) of ${parentId}. For each: a short title, the hypothesis, the rationale (cite insights, research or bad cases), the evidence, and the edits. ` +
        `The tree already holds ${tree.nodes.size} node(s); configs identical to any of them are discarded.`,
      fixed: true,
    },
  ].filter((p): p is PromptPart => p !== undefined);
  return fitParts(parts, PROMPT_TOKENS * CHARS_PER_TOKEN)
    .filter(Boolean)
    .join('\n');
}
