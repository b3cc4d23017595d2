// Distils what the tree has learned from its edges: each parent→child edge that changed knobs and
// ran on both ends is one observation of "this change moved the score by Δ". Proposers read the
// aggregates; insights.md shows them to people. An effect smaller than about two standard errors
// of the metric (validation size, replicate spread) is "within noise", neither helped nor hurt.
import { finalPick, formatMeanSd, type Finalist } from './search/finalPick';
import { binomialSE, effectVerdict, isReplicate, replicateSd, validationSizeOf, type EffectVerdict } from './metricNoise';
import type { ExperimentTree, TreeNode } from './tree/tree';

export interface ChangeEffect {
  path: string;
  to: string; // JSON of the new value
  n: number;
  meanDelta: number; // in metric units, positive = better (goal-aware)
  wins: number; // observations with Δ > 0
  /** Standard error of meanDelta (binomial SE of the scores involved, floored by replicate spread), when known. */
  se?: number;
  verdict: EffectVerdict;
}

export interface Insights {
  effects: ChangeEffect[];
  failures: { id: string; change: string; stage: string; reason: string }[];
  scoreSpread: number; // best minus worst utility so far, to put deltas on a scale
}

export function changeKey(path: string, to: unknown): string {
  return `${path}=${JSON.stringify(to)}`;
}

export interface InsightsOptions {
  /** The spec's validation size, used when a result's metrics do not say how many examples they scored. */
  validationSize?: number;
}

export function computeInsights(tree: ExperimentTree, opts: InsightsOptions = {}): Insights {
  const agg = new Map<string, { path: string; to: string; sum: number; n: number; wins: number; seSq: number; seN: number }>();
  const repSd = replicateSd(tree);
  const failures: Insights['failures'] = [];
  let lo = Infinity;
  let hi = -Infinity;
  for (const n of tree.nodes.values()) {
    if (n.result && n.status === 'succeeded') {
      const u = tree.utility(n.result.score);
      lo = Math.min(lo, u);
      hi = Math.max(hi, u);
    }
    if (!n.parent) continue;
    const parent = tree.nodes.get(n.parent);
    if (!parent) continue;
    if (n.status === 'failed' && n.failure) {
      failures.push({ id: n.id, change: describeChanges(n), stage: n.failure.stage, reason: n.failure.reason });
      continue;
    }
    if (n.status !== 'succeeded' || !n.result || parent.status !== 'succeeded' || !parent.result) continue;
    // A seed re-run measures noise (replicateSd), not the effect of a change.
    if (isReplicate(n)) continue;
    const delta = tree.utility(n.result.score) - tree.utility(parent.result.score);
    // Noise of one observation: the SE of a score at this level on this many examples.
    const size = validationSizeOf(n.result, opts.validationSize);
    const bin = binomialSE((n.result.score + parent.result.score) / 2, size, tree.goal);
    const obsSe = bin === undefined ? repSd : Math.max(bin, repSd ?? 0);
    for (const ch of n.changes) {
      const key = changeKey(ch.path, ch.to);
      const a = agg.get(key) ?? { path: ch.path, to: JSON.stringify(ch.to), sum: 0, n: 0, wins: 0, seSq: 0, seN: 0 };
      a.sum += delta / n.changes.length; // credit split evenly among simultaneous changes
      a.n++;
      if (delta > 0) a.wins++;
      if (obsSe !== undefined) {
        a.seSq += obsSe * obsSe;
        a.seN++;
      }
      agg.set(key, a);
    }
  }
  const effects = [...agg.values()]
    .map((a) => {
      const meanDelta = a.sum / a.n;
      // SE of a mean of independent observations; only when every observation had a known noise.
      const se = a.seN === a.n ? Math.sqrt(a.seSq) / a.n : undefined;
      return { path: a.path, to: a.to, n: a.n, meanDelta, wins: a.wins, se, verdict: effectVerdict(meanDelta, se) };
    })
    .sort((x, y) => y.meanDelta - x.meanDelta);
  return { effects, failures, scoreSpread: hi > lo ? hi - lo : 0 };
}

export function describeChanges(n: Pick<TreeNode, 'changes'>): string {
  if (n.changes.length === 0) return '(no change)';
  return n.changes.map((c) => `${c.path}: ${JSON.stringify(c.from)} → ${JSON.stringify(c.to)}`).join(', ');
}

/** One effect with its noise: "`train.epochs` → 2: +0.015 ± 0.035 SE on average (1/1 improved)". */
export function effectLine(e: ChangeEffect): string {
  const se = e.se !== undefined ? ` ± ${fmt(e.se)} SE` : '';
  return `\`${e.path}\` → ${e.to}: ${e.meanDelta > 0 ? '+' : ''}${fmt(e.meanDelta)}${se} on average (${e.wins}/${e.n} improved)`;
}

const fmt = (x: number) => (Math.abs(x) >= 100 ? x.toFixed(1) : x.toFixed(4).replace(/0+$/, '').replace(/\.$/, ''));

/** insights.md: compact by construction (one line per distinct change, capped), so it fits a prompt at any tree size. */
export function renderInsights(tree: ExperimentTree, insights: Insights, maxLines = 40): string {
  const best = tree.best();
  const lines: string[] = ['# Insights', ''];
  lines.push(`Metric: ${tree.metric} (${tree.goal}). Runs: ${tree.runsSpent()}. Nodes: ${tree.nodes.size}.`);
  if (best?.result) {
    lines.push(`Best so far: ${best.id} with ${tree.metric} = ${fmt(best.result.score)} on validation (${describeChanges(best)} vs its parent).`);
  }
  const final = finalPick(tree);
  if (final) {
    const one = (f: Finalist) => `${f.anchor} ${tree.metric} = ${formatMeanSd(f)} on validation over seeds (held-out test mean ${f.testMean !== undefined ? fmt(f.testMean) : '—'}, not used to choose)`;
    lines.push(`Recommended (final pick, best mean over seeds): ${one(final.pick)}.`);
    for (const f of final.finalists.slice(1)) lines.push(`Also re-run: ${one(f)}.`);
  }
  lines.push('');
  const helped = insights.effects.filter((e) => e.verdict === 'helped').slice(0, maxLines / 3);
  const hurt = insights.effects.filter((e) => e.verdict === 'hurt').reverse().slice(0, maxLines / 3);
  const noise = insights.effects.filter((e) => e.verdict === 'within noise').slice(0, maxLines / 3);
  lines.push('## Changes that helped', '');
  if (helped.length === 0) lines.push('- none observed yet');
  for (const e of helped) lines.push(`- ${effectLine(e)}`);
  lines.push('', '## Changes that hurt', '');
  if (hurt.length === 0) lines.push('- none observed yet');
  for (const e of hurt) lines.push(`- ${effectLine(e)}`);
  lines.push('', '## Changes within noise (smaller than 2 standard errors: neither helped nor hurt)', '');
  if (noise.length === 0) lines.push('- none');
  for (const e of noise) lines.push(`- ${effectLine(e)}`);
  lines.push('', '## Failures', '');
  if (insights.failures.length === 0) lines.push('- none');
  for (const f of insights.failures.slice(-10)) lines.push(`- ${f.id} (${f.change}) failed in ${f.stage}: ${f.reason.split('\n')[0].slice(0, 160)}`);
  lines.push('');
  return lines.join('\n');
}
