// The experiment view's data: the notes the search keeps (insights.md, research.md) and what
// it has spent against trex.yaml's budget.
import { INSIGHTS_FILE, summarizeTree, type Experiment } from '../../engine';
import { RESEARCH_FILE } from '../../engine/llm';
import type { ExperimentOverview } from '../../../webview/protocol';

const MAX_NOTES = 256 * 1024;

export function buildExperimentOverview(exp: Experiment): ExperimentOverview {
  const summary = summarizeTree(exp.tree);
  const b = exp.spec.budget ?? {};
  return {
    insights: capped(exp.readText(INSIGHTS_FILE)),
    research: capped(exp.readText(RESEARCH_FILE)),
    finalPick: (summary.final?.finalists ?? []).map((f) => ({ id: f.id, mean: f.mean, sd: f.sd, seeds: f.scores.length, testMean: f.testMean })),
    budget: {
      runs: summary.runs,
      maxRuns: limit(b.max_runs),
      computeHours: summary.computeMs / 3_600_000,
      maxComputeHours: limit(b.max_compute_hours),
      tokens: summary.tokens,
      costUsd: summary.costUsd,
      maxCostUsd: limit(b.max_llm_cost_usd),
    },
  };
}

/** As the search reads trex.yaml's budget: 0 or absent sets no limit. */
function limit(v: number | undefined): number | null {
  return v !== undefined && v > 0 ? v : null;
}

function capped(text: string | undefined): string {
  if (!text) return '';
  return text.length > MAX_NOTES ? text.slice(0, MAX_NOTES) + '\n…' : text;
}
