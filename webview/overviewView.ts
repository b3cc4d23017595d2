// The experiment view: what the search has spent against trex.yaml's budget, and the notes it
// keeps (insights.md, research.md), as plain text.
import { clear, el } from './dom';
import type { ExperimentOverview } from './protocol';

export class OverviewView {
  constructor(private readonly root: HTMLElement) {}

  showLoading(): void {
    clear(this.root);
    this.root.append(el('h2', { text: 'Experiment' }), el('p', { class: 'hint', text: 'Loading…' }));
  }

  show(o: ExperimentOverview): void {
    clear(this.root);
    const b = o.budget;
    const runsLeft = b.maxRuns !== null ? Math.max(0, b.maxRuns - b.runs) : null;
    const rows: [string, string, string][] = [
      ['runs', `${b.runs}${b.maxRuns !== null ? ` of ${b.maxRuns}` : ''}`, runsLeft !== null ? `${runsLeft} left` : 'no limit'],
      ['compute', `${b.computeHours.toFixed(2)} h${b.maxComputeHours !== null ? ` of ${b.maxComputeHours} h` : ''}`, b.maxComputeHours !== null ? `${Math.max(0, b.maxComputeHours - b.computeHours).toFixed(2)} h left` : 'no limit'],
      ['LLM tokens', b.tokens.toLocaleString('en-US'), ''],
      ['LLM cost', `$${b.costUsd.toFixed(2)}${b.maxCostUsd !== null ? ` of $${b.maxCostUsd.toFixed(2)}` : ''}`, b.maxCostUsd !== null ? `$${Math.max(0, b.maxCostUsd - b.costUsd).toFixed(2)} left` : 'no limit'],
    ];
    const table = el('table', { class: 'budget' });
    for (const [name, used, left] of rows) table.append(el('tr', { 'data-budget': name }, el('td', { text: name }), el('td', { text: used }), el('td', { class: 'fact', text: left })));
    this.root.append(el('h2', { text: 'Experiment' }), el('h3', { text: 'Budget' }), table);
    if (o.finalPick.length) this.root.append(el('h3', { text: 'Final pick (mean ± sd over seeds, validation)' }), finalTable(o.finalPick));
    this.root.append(notes('insights.md', o.insights, 'The search writes insights.md after each result.'));
    this.root.append(notes('research.md', o.research, 'The researcher writes research.md when the LLM proposer is used.'));
  }
}

/** The recommended configuration first; the held-out test mean is shown, never used to choose. */
function finalTable(rows: ExperimentOverview['finalPick']): HTMLElement {
  const table = el('table', { class: 'final-pick' });
  rows.forEach((f, i) => {
    const text = `${f.mean.toFixed(4)} ± ${f.sd.toFixed(4)} (${f.seeds} seeds)`;
    const test = `test ${f.testMean !== null ? f.testMean.toFixed(4) : '—'}`;
    table.append(el('tr', { 'data-final': f.id }, el('td', { text: i === 0 ? `${f.id} ◆ recommended` : f.id }), el('td', { text }), el('td', { class: 'fact', text: test })));
  });
  return table;
}

function notes(file: string, text: string, empty: string): HTMLElement {
  const body = text ? el('pre', { class: 'notes', 'data-file': file, text }) : el('p', { class: 'hint', text: `No ${file} yet. ${empty}` });
  const d = el('details', { open: '' }, el('summary', { text: file }), body);
  return d;
}
