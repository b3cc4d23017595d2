// Knobs vs score: a parallel-coordinates chart (SVG) with one vertical axis per search_space
// path of trex.yaml and a last axis for the score; each finished node is one line, coloured by
// its score. Status checkboxes filter the lines. Built only while the view is open.
import { clear, el } from './dom';
import type { KnobAxis, KnobTable, NodeStatusView } from './protocol';
import { formatScore } from './renderer';
import { readTheme, scoreBucket } from './theme';

const SVG = 'http://www.w3.org/2000/svg';
const FILTERABLE: NodeStatusView[] = ['succeeded', 'failed', 'cancelled', 'stopped'];
const HEIGHT = 380;
const PAD = { top: 40, bottom: 46, side: 70 };

type Row = KnobTable['rows'][number];

/** Where a value sits on an axis, as a fraction from the bottom (0) to the top (1); null: not on the axis. */
export type AxisScale = (v: number | string | null) => number | null;

export function axisScale(axis: KnobAxis, observed: (number | string | null)[]): { scale: AxisScale; ticks: { at: number; label: string }[] } {
  if (axis.kind === 'category') {
    const cats = [...axis.categories];
    for (const v of observed) if (typeof v === 'string' && !cats.includes(v)) cats.push(v);
    const at = (i: number) => (cats.length === 1 ? 0.5 : i / (cats.length - 1));
    return { scale: (v) => (typeof v === 'string' && cats.includes(v) ? at(cats.indexOf(v)) : null), ticks: cats.map((c, i) => ({ at: at(i), label: c })) };
  }
  const nums = observed.filter((v): v is number => typeof v === 'number' && (!axis.log || v > 0));
  if (nums.length === 0) return { scale: () => null, ticks: [] };
  const f = axis.log ? Math.log10 : (x: number) => x;
  let lo = Infinity;
  let hi = -Infinity;
  for (const n of nums) {
    lo = Math.min(lo, f(n));
    hi = Math.max(hi, f(n));
  }
  const scale: AxisScale = (v) => (typeof v !== 'number' || (axis.log && v <= 0) ? null : hi === lo ? 0.5 : (f(v) - lo) / (hi - lo));
  const distinct = [...new Set(nums)].sort((a, b) => a - b);
  // Few values (a grid of trex.yaml values): label each. Many: the ends and the middle of the axis.
  const inv = axis.log ? (x: number) => 10 ** x : (x: number) => x;
  const shown = distinct.length <= 6 ? distinct : [inv(lo), inv((lo + hi) / 2), inv(hi)];
  return { scale, ticks: shown.map((n) => ({ at: scale(n) ?? 0.5, label: String(Number(n.toPrecision(3))) })) };
}

export class KnobsView {
  private table: KnobTable | null = null;
  private readonly shownStatuses = new Set<NodeStatusView>(FILTERABLE);

  constructor(
    private readonly root: HTMLElement,
    private readonly select: (id: string) => void,
  ) {}

  showLoading(): void {
    clear(this.root);
    this.root.append(el('h2', { text: 'Knobs vs score' }), el('p', { class: 'hint', text: 'Loading…' }));
  }

  show(table: KnobTable): void {
    this.table = table;
    this.render();
  }

  /** The statuses whose lines are shown (tests and the checkboxes change it). */
  setFilter(status: NodeStatusView, shown: boolean): void {
    if (shown) this.shownStatuses.add(status);
    else this.shownStatuses.delete(status);
    this.render();
  }

  private render(): void {
    const t = this.table;
    if (!t) return;
    clear(this.root);
    const rows = t.rows.filter((r) => this.shownStatuses.has(r.status));
    const filters = el('div', { class: 'knob-filters', role: 'group', 'aria-label': 'show runs by status' });
    for (const s of FILTERABLE) {
      const box = el('input', { type: 'checkbox', 'data-status': s });
      box.checked = this.shownStatuses.has(s);
      box.addEventListener('change', () => this.setFilter(s, box.checked));
      const n = t.rows.filter((r) => r.status === s).length;
      filters.append(el('label', {}, box, ` ${s} (${n})`));
    }
    filters.append(el('span', { class: 'knob-count', text: `${rows.length} of ${t.rows.length} finished runs shown` }));
    this.root.append(el('h2', { text: `Knobs vs ${t.metric} (${t.goal})` }), filters);
    if (t.axes.length === 0) {
      this.root.append(el('p', { class: 'hint', text: 'trex.yaml has no search_space: there are no knobs to plot.' }));
      return;
    }
    this.root.append(this.chart(t, rows), el('p', { class: 'hint', text: `One line per run, coloured by ${t.metric} (red worse → green better, the best thickest). Runs without a score and missing values sit at n/a. Click a line to select its node.` }));
  }

  private chart(t: KnobTable, rows: Row[]): SVGSVGElement {
    const theme = readTheme();
    const width = Math.max(480, this.root.clientWidth - 24);
    const svg = svgEl('svg', { class: 'knobs', width: String(width), height: String(HEIGHT), role: 'img', 'aria-label': `${rows.length} runs: knob values against ${t.metric}` });
    const axisCount = t.axes.length + 1;
    const x = (i: number) => PAD.side + (i * (width - 2 * PAD.side)) / (axisCount - 1);
    const y = (f: number) => HEIGHT - PAD.bottom - f * (HEIGHT - PAD.top - PAD.bottom);
    const offAxis = HEIGHT - PAD.bottom + 18; // "n/a": the value is missing, or the run has no score

    // Scales over all finished rows, so filtering does not move the axes.
    const scales = t.axes.map((a, i) => axisScale(a, t.rows.map((r) => r.values[i])));
    const scoreAxis: KnobAxis = { path: t.metric, kind: 'number', log: false, categories: [] };
    const score = axisScale(scoreAxis, t.rows.map((r) => r.score));
    const all = [...scales, score];
    const quality = (s: number | null) => {
      const f = score.scale(s);
      return f === null ? null : t.goal === 'maximize' ? f : 1 - f;
    };

    const lines = svgEl('g', { class: 'lines' });
    // Many runs: fainter lines, so where they bundle shows.
    const opacity = String(rows.length > 100 ? 0.3 : rows.length > 30 ? 0.55 : 0.85);
    // Best runs drawn last, on top.
    const ordered = [...rows].sort((a, b) => (quality(a.score) ?? -1) - (quality(b.score) ?? -1));
    for (const r of ordered) {
      const pts = [...r.values, r.score].map((v, i) => {
        const f = all[i].scale(v);
        return `${x(i).toFixed(1)},${(f === null ? offAxis : y(f)).toFixed(1)}`;
      });
      const q = quality(r.score);
      const colour = q === null ? theme.status[r.status] : theme.score[scoreBucket(q)];
      const best = q !== null && q >= 0.999;
      const line = svgEl('polyline', { points: pts.join(' '), fill: 'none', stroke: colour, 'stroke-width': best ? '3' : '1.5', 'stroke-opacity': best ? '1' : opacity, 'data-id': r.id, 'data-status': r.status, class: 'run' });
      const title = svgEl('title', {});
      title.textContent = `${r.id} · ${r.status}${r.score !== null ? ` · ${t.metric} ${formatScore(r.score)}` : ''}\n${t.axes.map((a, i) => `${a.path} = ${r.values[i] ?? 'n/a'}`).join('\n')}`;
      line.append(title);
      line.addEventListener('click', () => this.select(r.id));
      lines.append(line);
    }

    const axes = svgEl('g', { class: 'axes' });
    [...t.axes.map((a) => a.path + (a.log ? ' (log)' : '')), t.metric].forEach((label, i) => {
      axes.append(svgEl('line', { x1: String(x(i)), x2: String(x(i)), y1: String(y(1)), y2: String(y(0)), stroke: theme.edge, 'stroke-width': '1', class: 'axis', 'data-path': i < t.axes.length ? t.axes[i].path : '' }));
      axes.append(text(label, x(i), PAD.top - 16, theme.foreground, 'middle', 'axis-label'));
      for (const tick of all[i].ticks) axes.append(text(tick.label, x(i) - 5, y(tick.at) + 3, theme.muted, 'end', 'tick'));
      axes.append(text('n/a', x(i) - 5, offAxis + 3, theme.muted, 'end', 'tick'));
    });
    // Axes and their labels on top of the lines, each label with a halo of the background.
    axes.querySelectorAll('text').forEach((label) => {
      label.setAttribute('stroke', theme.background);
      label.setAttribute('stroke-width', '3');
      label.setAttribute('paint-order', 'stroke');
    });
    svg.append(lines, axes);
    return svg;
  }
}

function svgEl<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string>): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
}

function text(content: string, x: number, y: number, fill: string, anchor: 'start' | 'middle' | 'end', cls: string): SVGTextElement {
  const t = svgEl('text', { x: x.toFixed(1), y: y.toFixed(1), fill, 'text-anchor': anchor, class: cls });
  t.textContent = content;
  return t;
}
