// The compare view: 2+ nodes side by side — their loss curves overlaid on one chart, their
// metrics in columns, and a table of only the config paths whose values differ.
import { clear, el } from './dom';
import { drawLossCurves, type ChartColours } from './lossChart';
import type { CompareData } from './protocol';
import { formatScore } from './renderer';
import { seriesColours } from './theme';

export class CompareView {
  constructor(
    private readonly root: HTMLElement,
    private readonly chartColours: () => ChartColours,
    private readonly remove: (id: string) => void,
  ) {}

  /** Fewer than two nodes picked: say how to pick them. */
  showHint(count: number): void {
    clear(this.root);
    this.root.append(
      el('h2', { text: 'Compare runs' }),
      el('p', { class: 'hint', text: `${count === 1 ? 'One node is picked. ' : ''}Pick two or more nodes: Ctrl/Cmd-click them in the tree, or tick "Compare" in the details pane.` }),
    );
  }

  showLoading(ids: string[]): void {
    clear(this.root);
    this.root.append(el('h2', { text: `Compare ${ids.join(', ')}` }), el('p', { class: 'hint', text: 'Loading…' }));
  }

  show(data: CompareData): void {
    clear(this.root);
    const palette = seriesColours();
    const colourOf = (i: number) => palette[i % palette.length];
    const keys = el('div', { class: 'series-keys' });
    data.nodes.forEach((n, i) => {
      const swatch = el('i');
      swatch.style.background = colourOf(i); // CSSOM: the CSP forbids inline style attributes
      const drop = el('button', { class: 'secondary icon', title: `Remove ${n.id} from the comparison`, 'aria-label': `Remove ${n.id}`, text: '×' });
      drop.addEventListener('click', () => this.remove(n.id));
      keys.append(el('span', { class: 'series-key', 'data-id': n.id }, swatch, el('span', { class: 'node-id', text: n.id }), ` ${n.title} · ${n.score !== null ? formatScore(n.score) : n.status}`, drop));
    });
    this.root.append(el('h2', { text: `Compare ${data.nodes.length} runs` }), keys);

    const chart = el('canvas', { class: 'loss compare-loss', 'aria-label': 'training loss by step, one curve per node' });
    const series = data.nodes.map((n, i) => ({ points: n.loss, colour: colourOf(i) }));
    chart.dataset.curves = String(series.filter((s) => s.points.length > 0).length);
    this.root.append(el('h3', { text: 'Loss' }), chart);
    drawLossCurves(chart, series, this.chartColours());

    this.root.append(el('h3', { text: 'Metrics' }), metricsTable(data));
    this.root.append(el('h3', { text: `Config diff (${data.configDiff.length} path${data.configDiff.length === 1 ? '' : 's'} differ)` }), diffTable(data));
  }
}

function headerRow(first: string, data: CompareData): HTMLTableRowElement {
  return el('tr', {}, el('th', { text: first }), ...data.nodes.map((n) => el('th', { class: 'node-id', text: n.id })));
}

function metricsTable(data: CompareData): HTMLElement {
  const names: string[] = [];
  const byNode = data.nodes.map((n) => new Map(n.metrics.map((m) => [m.name, m.value])));
  for (const n of data.nodes) for (const m of n.metrics) if (!names.includes(m.name)) names.push(m.name);
  const table = el('table', { class: 'compare metrics-compare' }, el('thead', {}, headerRow('metric', data)));
  const body = el('tbody');
  for (const name of names) body.append(el('tr', {}, el('td', { text: name }), ...byNode.map((m) => el('td', { text: m.get(name) ?? '—' }))));
  table.append(body);
  return table;
}

function diffTable(data: CompareData): HTMLElement {
  if (data.configDiff.length === 0) return el('p', { class: 'hint', text: 'The configs are identical.' });
  const table = el('table', { class: 'compare config-diff' }, el('thead', {}, headerRow('path', data)));
  const body = el('tbody');
  for (const row of data.configDiff) {
    body.append(el('tr', { 'data-path': row.path }, el('td', { class: 'path', text: row.path }), ...row.values.map((v) => el('td', v === null ? { class: 'absent', text: '(absent)' } : { text: v }))));
  }
  table.append(body);
  return table;
}
