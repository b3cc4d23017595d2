// The side pane for the selected node: status, score, actions, plan, diff from the parent,
// metrics and the loss curve. The header shows at once from the tree data; the rest arrives
// with a nodeDetails response.
import { clear, el } from './dom';
import { drawLossChart } from './lossChart';
import type { NodeDetails, NodeView, StageProgressView, StageNameView } from './protocol';
import { formatElapsed, formatScore } from './renderer';

export type NodeAction = 'run' | 'fork' | 'prune' | 'unprune' | 'approve' | 'reject' | 'openPlan' | 'openRecipe' | 'openTrain' | 'openFolder' | 'compare' | 'export';

export interface DetailsCallbacks {
  action(action: NodeAction, id: string): void;
  openLog(id: string, stage: StageNameView): void;
  isCompared(id: string): boolean;
  toggleCompared(id: string): void;
}

const STATUS_LABEL: Record<string, string> = {
  draft: 'draft (edit its files, then run it)',
  awaiting_approval: 'awaiting your approval',
  pending: 'queued',
  running: 'running',
  succeeded: 'succeeded',
  failed: 'failed',
  cancelled: 'cancelled',
  rejected: 'rejected',
  stopped: 'stopped early (partial result; can be resumed)',
};

export class DetailsPane {
  private node: NodeView | null = null;
  private details: NodeDetails | null = null;
  private progress: StageProgressView | null = null;

  constructor(
    private readonly root: HTMLElement,
    private readonly callbacks: DetailsCallbacks,
    private readonly chartColours: () => { line: string; axis: string; text: string; font: string },
  ) {
    this.renderEmpty();
  }

  get shownId(): string | null {
    return this.node?.id ?? null;
  }

  show(node: NodeView | null, details: NodeDetails | null = null): void {
    if (node?.id !== this.node?.id || node?.status !== 'running') this.progress = null;
    this.node = node;
    if (details) this.details = details;
    else if (!node || this.details?.id !== node.id) this.details = null;
    if (!node) this.renderEmpty();
    else this.render();
  }

  setProgress(p: StageProgressView): void {
    if (!this.node || p.nodeId !== this.node.id || this.node.status !== 'running') return;
    this.progress = p;
    const line = this.root.querySelector('#progress');
    if (line) line.textContent = progressText(p);
  }

  private renderEmpty(): void {
    clear(this.root);
    this.root.append(el('p', { class: 'hint', text: 'Select a node (click it, or use the arrow keys) to see its plan, diff, metrics and loss curve.' }));
  }

  private render(): void {
    const n = this.node;
    if (!n) return;
    clear(this.root);
    const score = n.score !== null ? formatScore(n.score) : '—';
    const elapsed = n.status === 'running' ? formatElapsed(Date.now() - n.updatedAt) : n.wallMs !== null ? formatElapsed(n.wallMs) : '';
    this.root.append(
      el('h2', { id: 'details-title' }, el('span', { class: 'node-id', text: n.id }), ' ', n.title),
      el(
        'div',
        { class: 'facts' },
        el('span', { class: `badge status-${n.status}`, text: STATUS_LABEL[n.status] ?? n.status }),
        n.pruned ? el('span', { class: 'badge pruned', text: 'pruned' }) : null,
        n.modified ? el('span', { class: 'badge modified', text: 'modified' }) : null,
        el('span', { class: 'fact', text: `score ${score}` }),
        n.testScore !== null ? el('span', { class: 'fact', text: `test ${formatScore(n.testScore)}` }) : null,
        elapsed ? el('span', { class: 'fact', text: elapsed }) : null,
        n.reusedFrom ? el('span', { class: 'fact', text: `reused ${n.reusedFrom}` }) : null,
        this.compareBox(n.id),
      ),
      el('div', { id: 'progress', class: 'progress', text: this.progress ? progressText(this.progress) : '' }),
      this.actions(n),
    );
    if (n.failure) this.root.append(el('pre', { class: 'failure', text: n.failure }));
    const d = this.details;
    if (!d) {
      this.root.append(el('p', { class: 'hint', text: 'Loading…' }));
      return;
    }
    this.root.append(el('h3', { text: 'Plan' }), el('pre', { class: 'plan', text: d.plan || '(no plan.md)' }));
    this.root.append(el('h3', { text: n.parent ? `Diff from ${n.parent}` : 'Diff' }), diffView(d.diff));
    if (d.metrics.length) {
      const table = el('table', { class: 'metrics' });
      for (const m of d.metrics) table.append(el('tr', {}, el('td', { text: m.name }), el('td', { text: m.value })));
      this.root.append(el('h3', { text: 'Metrics' }), table);
    }
    const chart = el('canvas', { class: 'loss', 'aria-label': 'training loss by step' });
    this.root.append(el('h3', { text: 'Loss' }), chart);
    drawLossChart(chart, d.loss, this.chartColours());
    if (d.stageLogs.length) {
      const logs = el('div', { class: 'actions' });
      for (const stage of d.stageLogs) {
        const b = el('button', { class: 'secondary', 'data-log': stage, text: `${stage}.log` });
        b.addEventListener('click', () => this.callbacks.openLog(n.id, stage));
        logs.append(b);
      }
      this.root.append(el('h3', { text: 'Logs' }), logs);
    }
  }

  /** The compare set changed elsewhere (Ctrl/Cmd-click, the compare view): re-tick the box. */
  syncCompared(): void {
    const box = this.root.querySelector<HTMLInputElement>('input[data-compare]');
    if (box && this.node) box.checked = this.callbacks.isCompared(this.node.id);
  }

  private compareBox(id: string): HTMLElement {
    const box = el('input', { type: 'checkbox', 'data-compare': id });
    box.checked = this.callbacks.isCompared(id);
    box.addEventListener('change', () => this.callbacks.toggleCompared(id));
    return el('label', { class: 'fact compare-pick', title: 'Pick this node for the Compare tab (or Ctrl/Cmd-click nodes in the tree)' }, box, ' Compare');
  }

  private actions(n: NodeView): HTMLElement {
    const bar = el('div', { class: 'actions', role: 'toolbar', 'aria-label': 'node actions' });
    const add = (action: NodeAction, label: string, primary = false, title = '') => {
      const b = el('button', { 'data-action': action, class: primary ? '' : 'secondary', text: label, title });
      b.addEventListener('click', () => this.callbacks.action(action, n.id));
      bar.append(b);
    };
    if (n.status === 'awaiting_approval') {
      add('approve', 'Approve', true);
      add('reject', 'Reject');
    }
    if (n.status !== 'running') {
      const rerun = n.status === 'succeeded' || n.status === 'failed' || n.status === 'cancelled' || n.status === 'stopped';
      add('run', rerun ? 'Re-run' : 'Run', n.status === 'draft', 'R');
    }
    add('fork', 'Fork', n.status !== 'draft', 'F: new child with these files, to edit');
    add(n.pruned ? 'unprune' : 'prune', n.pruned ? 'Restore' : 'Prune', false, 'P: exclude this subtree from selection (reversible)');
    if (n.status === 'draft') add('reject', 'Discard');
    add('openPlan', 'Plan');
    add('openRecipe', 'Recipe');
    add('openTrain', 'Train');
    add('openFolder', 'Folder');
    if (n.parent) add('compare', 'Compare with parent');
    if (n.status === 'succeeded') add('export', 'Export…', false, 'a bundle that reproduces this node without TREX (trex export)');
    return bar;
  }
}

function progressText(p: StageProgressView): string {
  const step = p.step !== null && p.total !== null ? ` step ${p.step}/${p.total}` : '';
  const loss = p.loss !== null ? ` loss ${p.loss.toFixed(4)}` : '';
  return `${p.stage}${step}${loss}`;
}

function diffView(diff: string): HTMLElement {
  const pre = el('pre', { class: 'diff' });
  if (!diff) {
    pre.textContent = '(no changes)';
    return pre;
  }
  for (const line of diff.split('\n')) {
    const header = line.startsWith('+++') || line.startsWith('---') || line.startsWith('@@');
    const cls = header ? 'hunk' : line.startsWith('+') ? 'add' : line.startsWith('-') ? 'del' : '';
    pre.append(el('span', cls ? { class: cls, text: line + '\n' } : { text: line + '\n' }));
  }
  return pre;
}
