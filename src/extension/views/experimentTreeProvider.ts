// The native tree view: experiments, then their nodes as a tree, each with a status icon, its
// score and elapsed time. Changes refresh only the affected items.
import * as vscode from 'vscode';
import type { TreeNode } from '../../engine';
import type { ExperimentRegistry } from '../experiments/experimentRegistry';
import type { ExperimentSession, SessionChange } from '../experiments/experimentSession';
import type { NodeRef } from '../services';
import { experimentTooltipMarkdown, nodeTooltipMarkdown } from './tooltipMarkdown';

export type TreeElement = { kind: 'experiment'; dir: string } | { kind: 'broken'; dir: string } | { kind: 'node'; dir: string; id: string };

const STATUS_ICON: Record<string, [string, string | undefined]> = {
  succeeded: ['pass', 'charts.green'],
  failed: ['error', 'charts.red'],
  running: ['sync~spin', 'charts.blue'],
  pending: ['clock', undefined],
  draft: ['edit', 'charts.purple'],
  awaiting_approval: ['question', 'charts.orange'],
  cancelled: ['circle-slash', undefined],
  rejected: ['close', undefined],
};

const TICK_MS = 5000;

export class ExperimentTreeProvider implements vscode.TreeDataProvider<TreeElement>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<TreeElement | TreeElement[] | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  /** One element object per item, so refreshes and reveal() find the same item again. */
  private readonly elements = new Map<string, TreeElement>();
  private readonly sessionSubs = new Map<string, vscode.Disposable>();
  private readonly disposables: vscode.Disposable[] = [];
  private readonly ticker: NodeJS.Timeout;

  constructor(private readonly registry: ExperimentRegistry) {
    this.disposables.push(registry.onDidChangeList(() => this.resubscribe()));
    this.resubscribe();
    // Elapsed times of running nodes move on even without events.
    this.ticker = setInterval(() => this.tickRunning(), TICK_MS);
  }

  experimentElement(dir: string): TreeElement {
    return this.cached(`e:${dir}`, () => ({ kind: 'experiment', dir }));
  }

  nodeElement(ref: NodeRef): TreeElement {
    return this.cached(`n:${ref.experimentDir}#${ref.id}`, () => ({ kind: 'node', dir: ref.experimentDir, id: ref.id }));
  }

  getChildren(el?: TreeElement): TreeElement[] {
    if (!el) {
      return [
        ...this.registry.all().map((s) => this.experimentElement(s.dir)),
        ...this.registry.brokenExperiments().map((b) => this.cached(`b:${b.dir}`, () => ({ kind: 'broken' as const, dir: b.dir }))),
      ];
    }
    if (el.kind === 'broken') return [];
    const session = this.registry.get(el.dir);
    if (!session) return [];
    const tree = session.experiment.tree;
    const ids = el.kind === 'experiment' ? [...tree.nodes.values()].filter((n) => n.parent === null).map((n) => n.id) : (tree.nodes.get(el.id)?.children ?? []);
    return ids.map((id) => this.nodeElement({ experimentDir: el.dir, id }));
  }

  getParent(el: TreeElement): TreeElement | undefined {
    if (el.kind !== 'node') return undefined;
    const parent = this.registry.get(el.dir)?.experiment.tree.nodes.get(el.id)?.parent;
    return parent ? this.nodeElement({ experimentDir: el.dir, id: parent }) : this.experimentElement(el.dir);
  }

  getTreeItem(el: TreeElement): vscode.TreeItem {
    if (el.kind === 'broken') {
      const item = new vscode.TreeItem(el.dir.split(/[\\/]/).pop() ?? el.dir, vscode.TreeItemCollapsibleState.None);
      const broken = this.registry.brokenExperiments().find((b) => b.dir === el.dir);
      item.description = 'trex.yaml has errors';
      item.tooltip = broken?.error.message;
      item.iconPath = new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground'));
      item.command = { command: 'vscode.open', title: 'Open trex.yaml', arguments: [vscode.Uri.file(`${el.dir}/trex.yaml`)] };
      return item;
    }
    const session = this.registry.get(el.dir);
    if (!session) return new vscode.TreeItem('(closed)');
    return el.kind === 'experiment' ? this.experimentItem(session) : this.nodeItem(session, el.id);
  }

  private experimentItem(session: ExperimentSession): vscode.TreeItem {
    const meta = session.meta();
    const item = new vscode.TreeItem(session.name, vscode.TreeItemCollapsibleState.Expanded);
    item.id = `e:${session.dir}`;
    const best = meta.bestId ? session.experiment.tree.nodes.get(meta.bestId)?.result?.score : undefined;
    const parts = [`${session.experiment.tree.nodes.size} nodes`, best !== undefined ? `best ${best.toFixed(4)}` : '', meta.search !== 'idle' ? `search ${meta.search}` : ''];
    item.description = parts.filter(Boolean).join(' · ');
    item.tooltip = new vscode.MarkdownString(experimentTooltipMarkdown({ name: session.name, dir: session.dir, metric: meta.metric, goal: meta.goal, runs: meta.runs, maxRuns: meta.maxRuns }));
    item.iconPath = new vscode.ThemeIcon(meta.search === 'running' ? 'loading~spin' : 'beaker');
    item.contextValue = `trex.experiment search-${meta.search}`;
    item.command = { command: 'trex.showTreePanel', title: 'Show Tree', arguments: [{ experimentDir: session.dir }] };
    return item;
  }

  private nodeItem(session: ExperimentSession, id: string): vscode.TreeItem {
    const tree = session.experiment.tree;
    const n = tree.nodes.get(id);
    if (!n) return new vscode.TreeItem(id);
    const bestPath = tree.bestPath();
    const isBest = bestPath[bestPath.length - 1] === id;
    const state = n.children.length === 0 ? vscode.TreeItemCollapsibleState.None : n.parent === null || bestPath.includes(id) ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed;
    const item = new vscode.TreeItem(`${id}  ${n.title}`, state);
    item.id = `n:${session.dir}#${id}`;
    const modified = session.isModified(id);
    item.description = [isBest ? '★' : '', describe(n), n.pruned ? '⊘ pruned' : '', modified ? '● modified' : ''].filter(Boolean).join('  ');
    const [icon, colour] = isBest ? ['star-full', 'charts.yellow'] : (STATUS_ICON[n.status] ?? ['circle-outline', undefined]);
    item.iconPath = new vscode.ThemeIcon(icon, colour ? new vscode.ThemeColor(colour) : undefined);
    item.tooltip = tooltip(n, session.experiment.spec.metric.name);
    item.contextValue = ['trex.node', `status-${n.status}`, n.pruned ? 'pruned' : 'unpruned', modified ? 'modified' : '', n.parent ? 'child' : 'root'].filter(Boolean).join(' ');
    item.command = { command: 'trex.showNodeInPanel', title: 'Show in Tree Panel', arguments: [{ experimentDir: session.dir, id }] };
    return item;
  }

  private cached(key: string, make: () => TreeElement): TreeElement {
    let el = this.elements.get(key);
    if (!el) this.elements.set(key, (el = make()));
    return el;
  }

  private resubscribe(): void {
    const live = new Set(this.registry.all().map((s) => s.dir));
    for (const [dir, sub] of this.sessionSubs) {
      if (!live.has(dir)) {
        sub.dispose();
        this.sessionSubs.delete(dir);
      }
    }
    for (const session of this.registry.all()) {
      if (!this.sessionSubs.has(session.dir)) this.sessionSubs.set(session.dir, session.onDidChange((c) => this.onSessionChange(session, c)));
    }
    this.emitter.fire(undefined);
  }

  private onSessionChange(session: ExperimentSession, c: SessionChange): void {
    if (c.removed.length) {
      this.emitter.fire(undefined);
      return;
    }
    const changed: TreeElement[] = [];
    for (const id of c.nodes) {
      const el = this.elements.get(`n:${session.dir}#${id}`);
      if (el) changed.push(el);
      else if (session.experiment.tree.nodes.get(id)?.parent === null) changed.push(this.experimentElement(session.dir)); // a new root
    }
    if (c.meta) changed.push(this.experimentElement(session.dir));
    if (changed.length) this.emitter.fire(changed);
  }

  private tickRunning(): void {
    const running: TreeElement[] = [];
    for (const session of this.registry.all()) {
      for (const n of session.experiment.tree.nodes.values()) {
        if (n.status !== 'running') continue;
        const el = this.elements.get(`n:${session.dir}#${n.id}`);
        if (el) running.push(el);
      }
    }
    if (running.length) this.emitter.fire(running);
  }

  dispose(): void {
    clearInterval(this.ticker);
    for (const d of this.sessionSubs.values()) d.dispose();
    for (const d of this.disposables) d.dispose();
    this.emitter.dispose();
  }
}

function describe(n: TreeNode): string {
  if (n.status === 'running') return `${n.stage ?? 'running'} · ${elapsed(Date.now() - n.updatedAt)}`;
  const score = n.result ? n.result.score.toFixed(4) : '';
  const time = n.result ? elapsed(n.result.wallMs) : n.failure ? 'failed' : n.status === 'pending' ? 'queued' : n.status === 'awaiting_approval' ? 'awaiting approval' : n.status;
  return [score, time].filter(Boolean).join(' · ');
}

function elapsed(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 60 ? `${s}s` : s < 3600 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${Math.floor(s / 3600)}h${String(Math.floor(s / 60) % 60).padStart(2, '0')}m`;
}

function tooltip(n: TreeNode, metric: string): vscode.MarkdownString {
  // Untrusted values are escaped; no command links, no HTML.
  const md = new vscode.MarkdownString(nodeTooltipMarkdown(n, metric));
  md.isTrusted = false;
  md.supportHtml = false;
  return md;
}
