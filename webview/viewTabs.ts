// The panel's views besides the tree: Compare, Knobs vs score and Experiment, as tabs over the
// tree. Their data is fetched only when a tab opens (and again, debounced, when the tree changes
// while it is open): nothing here runs on the tree's update path while they are closed.
import { CompareView } from './compareView';
import { el } from './dom';
import { KnobsView } from './knobsView';
import type { ChartColours } from './lossChart';
import { OverviewView } from './overviewView';
import type { HostConnection } from './rpc';

export type ViewTab = 'tree' | 'compare' | 'knobs' | 'experiment';

const MAX_COMPARED = 8;
const STALE_MS = 1000;

export class ViewTabs {
  readonly bar = el('nav', { id: 'tabs', role: 'tablist', 'aria-label': 'views' });
  readonly pane = el('section', { id: 'view-pane', role: 'tabpanel', hidden: '' });
  readonly compare: CompareView;
  readonly knobs: KnobsView;
  readonly overview: OverviewView;
  /** The nodes picked for comparison, in the order picked. */
  readonly compared: string[] = [];
  private current: ViewTab = 'tree';
  private readonly buttons = new Map<ViewTab, HTMLButtonElement>();
  private readonly bodies: Record<Exclude<ViewTab, 'tree'>, HTMLElement>;
  private staleTimer: number | undefined;
  private seq = 0;

  constructor(
    private readonly host: HostConnection,
    chartColours: () => ChartColours,
    private readonly callbacks: { select(id: string): void; error(message: string): void; comparedChanged(): void; exists(id: string): boolean },
  ) {
    this.bodies = { compare: el('div', { id: 'compare-view' }), knobs: el('div', { id: 'knobs-view' }), experiment: el('div', { id: 'experiment-view' }) };
    this.compare = new CompareView(this.bodies.compare, chartColours, (id) => this.toggleCompared(id));
    this.knobs = new KnobsView(this.bodies.knobs, (id) => {
      this.open('tree');
      callbacks.select(id);
    });
    this.overview = new OverviewView(this.bodies.experiment);
    this.pane.append(this.bodies.compare, this.bodies.knobs, this.bodies.experiment);
    const tab = (id: ViewTab, label: string) => {
      const b = el('button', { class: 'tab', role: 'tab', 'data-tab': id, text: label });
      b.addEventListener('click', () => this.open(id));
      this.buttons.set(id, b);
      this.bar.append(b);
    };
    tab('tree', 'Tree');
    tab('compare', 'Compare');
    tab('knobs', 'Knobs vs score');
    tab('experiment', 'Experiment');
    this.mark();
  }

  get tab(): ViewTab {
    return this.current;
  }

  isCompared(id: string): boolean {
    return this.compared.includes(id);
  }

  toggleCompared(id: string): void {
    const i = this.compared.indexOf(id);
    if (i >= 0) this.compared.splice(i, 1);
    else {
      if (this.compared.length >= MAX_COMPARED) this.compared.shift();
      this.compared.push(id);
    }
    this.mark();
    this.callbacks.comparedChanged();
    if (this.current === 'compare') this.load();
  }

  /** The picks saved in the webview's state, after a reload. */
  restoreCompared(ids: string[]): void {
    this.compared.splice(0, this.compared.length, ...ids.slice(0, MAX_COMPARED));
    this.mark();
  }

  open(tab: ViewTab): void {
    this.current = tab;
    this.mark();
    this.pane.hidden = tab === 'tree';
    for (const [name, body] of Object.entries(this.bodies)) body.hidden = name !== tab;
    if (tab !== 'tree') this.load();
  }

  /** The tree changed: an open view re-fetches shortly after (a burst of patches costs one fetch). */
  treeChanged(): void {
    if (this.current === 'tree') return;
    window.clearTimeout(this.staleTimer);
    this.staleTimer = window.setTimeout(() => this.load(true), STALE_MS);
  }

  private mark(): void {
    for (const [name, b] of this.buttons) {
      b.setAttribute('aria-selected', String(name === this.current));
      b.classList.toggle('active', name === this.current);
    }
    this.buttons.get('compare')!.textContent = this.compared.length ? `Compare (${this.compared.length})` : 'Compare';
  }

  /** Fetches the open view's data; quiet keeps the old content until the new arrives. */
  private load(quiet = false): void {
    const seq = ++this.seq;
    const fresh = () => seq === this.seq;
    const fail = (e: Error) => fresh() && this.callbacks.error(e.message);
    switch (this.current) {
      case 'compare': {
        // Picks whose nodes were removed since (a discarded draft) drop out.
        const gone = this.compared.filter((id) => !this.callbacks.exists(id));
        if (gone.length) {
          this.compared.splice(0, this.compared.length, ...this.compared.filter((id) => !gone.includes(id)));
          this.mark();
          this.callbacks.comparedChanged();
        }
        if (this.compared.length < 2) {
          this.compare.showHint(this.compared.length);
          return;
        }
        const ids = [...this.compared];
        if (!quiet) this.compare.showLoading(ids);
        this.host.request('compareNodes', { ids }).then((d) => fresh() && this.compare.show(d), fail);
        return;
      }
      case 'knobs':
        if (!quiet) this.knobs.showLoading();
        this.host.request('knobTable', {}).then((d) => fresh() && this.knobs.show(d), fail);
        return;
      case 'experiment':
        if (!quiet) this.overview.showLoading();
        this.host.request('experimentOverview', {}).then((d) => fresh() && this.overview.show(d), fail);
        return;
      default:
        return;
    }
  }
}
