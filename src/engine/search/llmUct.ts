// Selection with judgement (policy llm-uct): the UCT formula shortlists its top candidates in its
// own order, and a judge (the LLM Researcher) picks which to expand and what kind of step to take.
// The choice is recorded on the node; an unusable pick or a failing endpoint leaves UCT's first
// choice standing and says so, so the judge can never end the search.
import type { Experiment } from '../experiment';
import type { StepKind } from '../tree/events';
import type { SelectionContext, SelectionPolicy } from './policy';

/** Candidates the formula puts before the judge. */
export const SHORTLIST_SIZE = 3;

/** The kind of step asked of an expansion, and why. */
export interface ExpansionStep {
  kind: StepKind;
  reason: string;
}

export type JudgeVerdict = ({ ok: true; id: string } & ExpansionStep) | { ok: false; reason: string };

export interface ExpansionJudge {
  /** Picks one of `shortlist` (UCT's order, best first). Never throws: a failure is a verdict. */
  judge(exp: Experiment, shortlist: readonly string[], signal?: AbortSignal): Promise<{ verdict: JudgeVerdict; usage: { tokens: number; costUsd: number } }>;
}

/** The policy's picks in order: each next one as if the earlier ones were spent. */
export function shortlist(policy: SelectionPolicy, ctx: SelectionContext, size = SHORTLIST_SIZE): string[] {
  const picked: string[] = [];
  while (picked.length < size) {
    const id = policy.select({ ...ctx, isExhausted: (x) => picked.includes(x) || ctx.isExhausted(x) });
    if (id === null || picked.includes(id)) break;
    picked.push(id);
  }
  return picked;
}

/**
 * The node to expand and the step asked of it. With one candidate there is nothing to judge; with
 * more, the judge picks and the choice (or the fallback to UCT's pick, with why) becomes an event.
 */
export async function chooseExpansion(
  exp: Experiment,
  policy: SelectionPolicy,
  ctx: SelectionContext,
  judge: ExpansionJudge,
  signal?: AbortSignal,
): Promise<{ id: string; step?: ExpansionStep } | null> {
  const list = shortlist(policy, ctx);
  if (list.length === 0) return null;
  if (list.length === 1) return { id: list[0] };
  const { verdict, usage } = await judge.judge(exp, list, signal);
  const usable = verdict.ok && list.includes(verdict.id);
  const id = usable ? verdict.id : list[0];
  if (usage.tokens > 0 || usage.costUsd > 0) exp.emit({ type: 'usage', id, role: 'researcher', tokens: usage.tokens, costUsd: usage.costUsd });
  if (signal?.aborted) return { id };
  if (usable) {
    exp.emit({ type: 'expansion_chosen', id, shortlist: list, kind: verdict.kind, reason: verdict.reason, fallback: false });
    return { id, step: { kind: verdict.kind, reason: verdict.reason } };
  }
  const why = verdict.ok ? `the pick ${JSON.stringify(verdict.id)} is not on the shortlist` : verdict.reason;
  exp.emit({ type: 'expansion_chosen', id, shortlist: list, reason: `UCT's pick: the Researcher's choice was unusable (${why})`, fallback: true });
  return { id };
}
