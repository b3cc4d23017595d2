// Tooltip text for the tree view, as Markdown built from values that may come from a hostile
// tree.jsonl or spec (ids, status, titles, names): every such value is escaped, so it shows as
// text and can never become a link, an image, HTML or a command. No vscode import: testable in node.
import { describeChange, type TreeNode } from '../../engine';

/** Escapes a value for Markdown: punctuation backslash-escaped, line breaks flattened, control characters dropped. */
export function escapeMarkdown(value: unknown): string {
  return String(value)
    .replace(/[\u0000-\u001f\u007f]+/g, ' ')
    .replace(/[\\`*_{}[\]()#+\-.!|<>~&:"'=$%]/g, (c) => `\\${c}`);
}

const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(4) : escapeMarkdown(v));

export function nodeTooltipMarkdown(n: TreeNode, metric: string): string {
  const e = escapeMarkdown;
  let md = `**${e(n.id)}** — ${e(n.title)}\n\nstatus: ${e(n.status)}${n.stage ? ` (${e(n.stage)})` : ''}`;
  if (n.result) md += `\n\n${e(metric)}: ${num(n.result.score)} (validation)${n.result.testScore !== undefined ? `, ${num(n.result.testScore)} (test)` : ''}`;
  if (n.result?.reusedFrom) md += `\n\nresult reused from ${e(n.result.reusedFrom)} (same config)`;
  for (const c of n.changes) md += `\n\n\\- ${e(describeChange(c))}`;
  if (n.failure) md += `\n\n${e(`${n.failure.stage}: ${n.failure.reason}`)}`;
  if (n.pruned) md += '\n\n*pruned: excluded from selection*';
  return md;
}

export function experimentTooltipMarkdown(m: { name: string; dir: string; metric: string; goal: string; runs: number; maxRuns?: number | null }): string {
  const e = escapeMarkdown;
  return `**${e(m.name)}** — ${e(m.metric)} (${e(m.goal)})\n\n${e(m.dir)}\n\n${e(m.runs)}${m.maxRuns ? `/${e(m.maxRuns)}` : ''} runs`;
}
