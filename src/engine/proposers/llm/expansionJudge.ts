// The LLM Researcher as the judge of policy llm-uct: shown UCT's shortlist (each candidate's path
// from the root, score, children tried and how they went) with the noise and the budget, it picks
// one candidate and the kind of step to take from it. One schema-checked call; any failure is a
// verdict, never an exception, so the search falls back to UCT's pick.
import type { Experiment } from '../../experiment';
import { describeChanges } from '../../insights';
import type { ExpansionJudge, JudgeVerdict } from '../../search/llmUct';
import { STEP_KINDS, type StepKind } from '../../tree/events';
import type { LlmClient } from '../../llm/client';
import { describeError } from '../../llm/errors';
import { truncateEnd, truncateMiddle } from '../../llm/text';
import { zeroTotals } from '../../llm/usage';
import { describeBudget } from './budgetEvidence';
import { describeNoise } from './noiseEvidence';

export const JUDGE_SYSTEM = [
  'You are the Researcher of TREX, which fine-tunes a language model by a tree search over experiments.',
  'The search formula (UCT) has shortlisted the nodes it would expand next, best first. Pick the one whose children are most likely to improve the validation metric, and the kind of step:',
  '- improve: refine what already works in that node (exploit its neighbourhood);',
  '- explore: try a different direction from it (a change not yet tried anywhere near it);',
  '- debug: its children failed or its bad cases show a fixable problem; the next children should fix that.',
  'Give the reason in one or two sentences, citing the evidence. Differences under 2 standard errors are noise.',
].join('\n');

/** Characters of the whole user message (about 1.5k tokens). */
const MAX_CHARS = 6000;

function candidateLines(exp: Experiment, id: string, rank: number): string {
  const tree = exp.tree;
  const n = tree.get(id);
  const path = tree
    .ancestry(id)
    .slice(1)
    .map((a) => describeChanges(a))
    .join(' ⇒ ');
  const kids = n.children.map((c) => tree.get(c));
  const scored = kids.filter((k) => k.result).map((k) => `${k.id} ${k.result!.score.toFixed(4)}`);
  const failed = kids.filter((k) => k.status === 'failed').map((k) => `${k.id} (${truncateEnd((k.failure?.reason ?? '').split('\n')[0], 100)})`);
  return [
    `${rank}. ${id} "${truncateEnd(n.title, 80)}": ${tree.metric}=${n.result?.score.toFixed(4) ?? '—'}, depth ${n.depth}`,
    `   changes from the root: ${truncateEnd(path || '(the baseline)', 400)}`,
    `   children: ${kids.length}${scored.length ? `; scored ${scored.join(', ')}` : ''}${failed.length ? `; failed ${failed.join(', ')}` : ''}`,
  ].join('\n');
}

export function buildJudgePrompt(exp: Experiment, list: readonly string[]): string {
  const tree = exp.tree;
  const best = tree.best();
  const text = [
    `Objective: ${exp.spec.objective}`,
    `Metric: ${exp.spec.metric.name} (${exp.spec.metric.goal}), validation. Best so far: ${best?.result ? `${best.id} ${best.result.score.toFixed(4)}` : '—'}; ${tree.nodes.size} node(s) in the tree.`,
    '',
    '# Shortlist (UCT order, best first)',
    ...list.map((id, i) => candidateLines(exp, id, i + 1)),
    '',
    '# Noise of the metric',
    describeNoise(exp),
    '',
    '# Budget',
    describeBudget(exp, undefined),
    '',
    `Reply with {"id": one of ${list.join(', ')}, "kind": ${STEP_KINDS.map((k) => `"${k}"`).join(' | ')}, "reason": "..."}.`,
  ].join('\n');
  return truncateMiddle(text, MAX_CHARS);
}

const judgeSchema = (list: readonly string[]) => ({
  type: 'object',
  additionalProperties: false,
  required: ['id', 'kind', 'reason'],
  properties: {
    id: { type: 'string', enum: [...list], description: 'The node to expand, from the shortlist.' },
    kind: { type: 'string', enum: [...STEP_KINDS] },
    reason: { type: 'string', minLength: 1, maxLength: 600 },
  },
});

export function llmExpansionJudge(client: LlmClient): ExpansionJudge {
  return {
    async judge(exp, list, signal) {
      const collector = zeroTotals();
      let verdict: JudgeVerdict;
      try {
        const r = await client.structured<{ id: string; kind: StepKind; reason: string }>({
          role: 'researcher',
          purpose: 'selection',
          nodeId: null,
          messages: [
            { role: 'system', content: JUDGE_SYSTEM },
            { role: 'user', content: buildJudgePrompt(exp, list) },
          ],
          name: 'expansion',
          schema: judgeSchema(list),
          strict: true,
          attempts: 1,
          signal,
          collector,
        });
        verdict = { ok: true, id: r.value.id, kind: r.value.kind, reason: truncateEnd(r.value.reason.trim(), 600) };
      } catch (e) {
        verdict = { ok: false, reason: truncateEnd(describeError(e), 300) };
      } finally {
        client.meter.markReported(collector.costUsd);
      }
      return { verdict, usage: { tokens: collector.tokens, costUsd: collector.costUsd } };
    },
  };
}
