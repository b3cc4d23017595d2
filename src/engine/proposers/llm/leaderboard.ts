// The best nodes so far, each with its full difference from the root (not just its last edge), its
// noise, how it trained and on what data; and the measured effect of each change in every context
// it was tried (the same change can help under one parent and hurt under another).
import type { Experiment } from '../../experiment';
import { changeKey } from '../../insights';
import { binomialSE, effectVerdict, specValidationSize, validationSizeOf } from '../../metricNoise';
import { diffConfigs, type NodeConfig } from '../../spec/configPaths';
import type { TreeNode } from '../../tree/tree';
import { truncateEnd } from '../../llm/text';
import { describeDataStats, readDataStats } from './dataEvidence';
import { describeLoss, describeWarmStart, readLossSummary } from './trainingDynamics';

const f4 = (x: number) => x.toFixed(4);
const signed = (x: number) => `${x >= 0 ? '+' : ''}${f4(x)}`;

function readConfig(exp: Experiment, id: string): NodeConfig | undefined {
  try {
    return exp.readNodeConfig(id);
  } catch {
    return undefined;
  }
}

/** "train.epochs: 1 → 2, recipe.format.template: "plain" → "reversed"" against the root's config. */
export function diffAgainstRoot(exp: Experiment, n: TreeNode, rootConfig: NodeConfig | undefined, maxChars: number): string {
  const config = readConfig(exp, n.id);
  if (!rootConfig || !config) return '(config unreadable)';
  const diff = diffConfigs(rootConfig, config);
  if (!diff.length) return '(same config as the root)';
  return truncateEnd(diff.map((c) => `${c.path}: ${JSON.stringify(c.from) ?? '(unset)'} → ${JSON.stringify(c.to) ?? '(removed)'}`).join(', '), maxChars);
}

/** The top `count` trained nodes by validation score, with evidence; empty when nothing succeeded. */
export function describeLeaderboard(exp: Experiment, count: number): string {
  const tree = exp.tree;
  const ranked = [...tree.nodes.values()]
    .filter((n) => n.status === 'succeeded' && n.result && !n.result.reusedFrom)
    .sort((a, b) => tree.utility(b.result!.score) - tree.utility(a.result!.score))
    .slice(0, count);
  if (!ranked.length) return '';
  const rootId = tree.ancestry(ranked[0].id)[0].id;
  const rootConfig = readConfig(exp, rootId);
  const fallbackN = specValidationSize(exp.spec);
  return ranked
    .map((n, i) => {
      const r = n.result!;
      const se = binomialSE(r.score, validationSizeOf(r, fallbackN), tree.goal);
      const loss = readLossSummary(exp.nodePath(n.id));
      const data = readDataStats(exp.nodePath(n.id, 'data_stats.json'));
      const details = [
        `diff vs root ${rootId}: ${n.id === rootId ? '(the root)' : diffAgainstRoot(exp, n, rootConfig, 600)}`,
        describeWarmStart(n),
        loss ? describeLoss(loss) : '',
        // Counts only: the lengths rarely differ between nodes, and the parent's are shown in full.
        data ? `data: ${truncateEnd(describeDataStats(data, false), 200)}` : '',
      ].filter(Boolean);
      return `${i + 1}. ${n.id} "${truncateEnd(n.title, 48)}": ${tree.metric}=${f4(r.score)}${se !== undefined ? ` ± ${f4(se)} SE` : ''}\n${details.map((d) => `   - ${d}`).join('\n')}`;
    })
    .join('\n');
}

/** Each change with its effect under each parent it was tried from, hurts included, worst contexts kept. */
export function describeEffectsByContext(exp: Experiment, maxChanges: number): string {
  const tree = exp.tree;
  const fallbackN = specValidationSize(exp.spec);
  const byChange = new Map<string, { label: string; obs: string[] }>();
  for (const n of tree.nodes.values()) {
    if (!n.parent || n.status !== 'succeeded' || !n.result || n.result.reusedFrom) continue;
    const parent = tree.get(n.parent);
    if (parent.status !== 'succeeded' || !parent.result) continue;
    const delta = tree.utility(n.result.score) - tree.utility(parent.result.score);
    const se = binomialSE((n.result.score + parent.result.score) / 2, validationSizeOf(n.result, fallbackN), tree.goal);
    const others = n.changes.length > 1 ? ` +${n.changes.length - 1} other change(s)` : '';
    for (const c of n.changes) {
      const key = changeKey(c.path, c.to);
      const e = byChange.get(key) ?? { label: `${c.path} → ${JSON.stringify(c.to)}`, obs: [] };
      e.obs.push(`under ${parent.id} (${n.id}${others}): ${signed(delta)} ${effectVerdict(delta, se)}`);
      byChange.set(key, e);
    }
  }
  // Changes tried in several contexts first: they say the most about interactions.
  return [...byChange.values()]
    .sort((a, b) => b.obs.length - a.obs.length)
    .slice(0, maxChanges)
    .map((e) => `- ${truncateEnd(e.label, 120)}: ${e.obs.slice(-6).join('; ')}`)
    .join('\n');
}
