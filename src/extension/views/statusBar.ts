// Status bar: the active experiment's running nodes, best score, runs left and LLM cost.
import * as vscode from 'vscode';
import type { ExperimentRegistry } from '../experiments/experimentRegistry';
import type { ExperimentSession } from '../experiments/experimentSession';
import { statusText } from './statusText';

export class TrexStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('trex.status', vscode.StatusBarAlignment.Left, 50);
  private readonly disposables: vscode.Disposable[] = [this.item];
  private sessionSub: vscode.Disposable | undefined;

  constructor(private readonly registry: ExperimentRegistry) {
    this.item.name = 'TREX';
    this.item.command = 'trex.showTreePanel';
    this.disposables.push(registry.onDidChangeActive(() => this.follow()), registry.onDidChangeList(() => this.follow()));
    this.follow();
  }

  /** The text now shown (tests read it). */
  get text(): string {
    return this.item.text;
  }

  private follow(): void {
    this.sessionSub?.dispose();
    const session = this.registry.active;
    this.sessionSub = session?.onDidChange(() => this.render(session));
    this.render(session);
  }

  private render(session: ExperimentSession | undefined): void {
    if (!session) {
      this.item.hide();
      return;
    }
    const tree = session.experiment.tree;
    const meta = session.meta();
    let running = 0;
    for (const n of tree.nodes.values()) if (n.status === 'running') running++;
    const best = meta.bestId ? tree.nodes.get(meta.bestId)?.result?.score : undefined;
    const budget = meta.maxRuns ? `${meta.runs}/${meta.maxRuns} runs` : `${meta.runs} runs`;
    const maxCostUsd = session.experiment.spec.budget?.max_llm_cost_usd;
    this.item.text = statusText({ running, best, runs: meta.runs, maxRuns: meta.maxRuns, costUsd: tree.usage.costUsd, maxCostUsd });
    const llm = `LLM: ${tree.usage.tokens.toLocaleString('en-US')} tokens, $${tree.usage.costUsd.toFixed(4)}${maxCostUsd ? ` of $${maxCostUsd.toFixed(2)}` : ''}`;
    this.item.tooltip = new vscode.MarkdownString(`**${session.name}** (${meta.metric}, ${meta.goal})\n\nsearch: ${meta.search}\n\n${tree.nodes.size} nodes, ${running} running, best ${meta.bestId ?? '—'}\n\nbudget: ${budget}\n\n${llm}\n\nClick to show the tree.`);
    this.item.show();
  }

  dispose(): void {
    this.sessionSub?.dispose();
    for (const d of this.disposables) d.dispose();
  }
}
