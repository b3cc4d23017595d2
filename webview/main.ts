// Entry of the tree webview: builds the page, wires the canvas, the details pane and the host
// connection, then says `ready` so the host sends the tree.
import type { CameraState } from './camera';
import { DetailsPane, type NodeAction } from './detailsPane';
import { el } from './dom';
import { registerHostEvents, type ViewContext } from './hostEvents';
import { attachKeyboard } from './keyboardNav';
import { attachPointerInput } from './pointerInput';
import type { NodeFile, RequestData, RequestType } from './protocol';
import { formatScore } from './renderer';
import { HostConnection } from './rpc';
import { readTheme, SCORE_BUCKETS } from './theme';
import { TreeCanvas } from './treeCanvas';
import { TreeModel } from './treeModel';
import { ViewTabs } from './viewTabs';
import { vscodeApi } from './vscodeApi';

interface ViewState {
  camera?: CameraState;
  selected?: string | null;
  /** The nodes picked for the Compare tab. */
  compared?: string[];
  /** Read by the host's panel serializer to re-open this experiment after a window reload. */
  experimentDir?: string | null;
}

/** Test and benchmark hook: drives the page without a host. */
export interface TrexDebugHook {
  model: TreeModel;
  view: TreeCanvas;
  host: HostConnection;
  tabs: ViewTabs;
  flush(): void;
}

declare global {
  interface Window {
    __trex?: TrexDebugHook;
  }
}

const api = vscodeApi();
const host = new HostConnection(api);
const model = new TreeModel();
let saveTimer: number | undefined;
let experimentDir: string | null = null;

const title = el('span', { id: 'title', text: 'TREX' });
const summary = el('span', { id: 'summary' });
const status = el('span', { id: 'status', role: 'status' });
const toolbarButton = (label: string, tip: string, onClick: () => void) => {
  const b = el('button', { class: 'secondary icon', title: tip, 'aria-label': tip, text: label });
  b.addEventListener('click', onClick);
  return b;
};
const canvas = el('canvas', { id: 'tree', tabindex: '0', role: 'tree', 'aria-label': 'Experiment tree. Arrow keys move between nodes; F forks, R runs, P prunes, B jumps to the best node.' });
const legend = el('div', { id: 'legend', 'aria-hidden': 'true' });
const detailsRoot = el('aside', { id: 'details', 'aria-live': 'polite' });
const announcer = el('div', { class: 'sr-only', 'aria-live': 'polite' });
const treeWrap = el('div', { id: 'tree-wrap' }, canvas, legend);

const view = new TreeCanvas(canvas, model, {
  onSelect: (id) => {
    const node = id ? model.get(id) : undefined;
    details.show(node ?? null);
    if (id) refreshDetails(id);
    announcer.textContent = node ? `${node.id}, ${node.status}${node.score !== null ? `, score ${formatScore(node.score)}` : ''}: ${node.title}` : '';
    void send('selectNode', { id });
    saveState();
  },
  onViewChanged: () => saveState(),
});

const chartColours = () => {
  const t = readTheme();
  return { line: t.status.running, axis: t.muted, text: t.foreground, font: t.font };
};

const tabs = new ViewTabs(host, chartColours, {
  select: (id) => view.select(id, true),
  error: (message) => showError(message),
  comparedChanged: () => {
    details.syncCompared();
    saveState();
  },
  exists: (id) => model.index.has(id),
});

const details = new DetailsPane(
  detailsRoot,
  {
    action: (action, id) => runAction(action, id),
    openLog: (id, stage) => void send('openStageLog', { id, stage }),
    isCompared: (id) => tabs.isCompared(id),
    toggleCompared: (id) => tabs.toggleCompared(id),
  },
  chartColours,
);

document.body.append(
  el(
    'div',
    { id: 'app' },
    el(
      'header',
      { id: 'toolbar' },
      title,
      summary,
      status,
      el('span', { class: 'spacer' }),
      toolbarButton('⤢', 'Fit the whole tree (0)', () => view.fitAll()),
      toolbarButton('★', 'Go to the best node (B)', () => {
        const best = model.meta?.bestId;
        if (best) view.select(best, true);
      }),
      toolbarButton('+', 'Zoom in (+)', () => view.zoom(1.25)),
      toolbarButton('−', 'Zoom out (-)', () => view.zoom(0.8)),
    ),
    tabs.bar,
    el('main', {}, treeWrap, detailsRoot, tabs.pane),
    announcer,
  ),
);

const pendingSelection = { id: null as string | null };
let detailsSeq = 0;

function refreshDetails(id: string): void {
  const seq = ++detailsSeq;
  host.request('nodeDetails', { id }).then(
    (d) => {
      if (seq === detailsSeq && view.selected === id) details.show(model.get(id) ?? null, d);
    },
    (e: Error) => showError(e.message),
  );
}

const ctx: ViewContext = { model, view, details, refreshSummary, refreshDetails, pendingSelection, saveState: () => saveState(), viewsStale: () => tabs.treeChanged() };
registerHostEvents(host, ctx);

async function send<T extends RequestType>(type: T, data: RequestData<T>): Promise<void> {
  try {
    await host.request(type, data);
  } catch (e) {
    showError((e as Error).message);
  }
}

const FILE_OF: Partial<Record<NodeAction, NodeFile>> = { openPlan: 'plan', openRecipe: 'recipe', openTrain: 'train', openFolder: 'folder' };

function runAction(action: NodeAction, id: string): void {
  const file = FILE_OF[action];
  if (file) {
    void send('openNodeFile', { id, file });
    return;
  }
  switch (action) {
    case 'run':
      void send('runNode', { id });
      break;
    case 'fork':
      host.request('forkNode', { id }).then(
        ({ newId }) => {
          if (model.index.has(newId)) view.select(newId, true);
          else pendingSelection.id = newId;
        },
        (e: Error) => showError(e.message),
      );
      break;
    case 'prune':
    case 'unprune':
      void send('pruneNode', { id, pruned: action === 'prune' });
      break;
    case 'approve':
      void send('approveNode', { id });
      break;
    case 'reject':
      void send('rejectNode', { id });
      break;
    case 'compare':
      void send('compareWithParent', { id });
      break;
    case 'export':
      void send('exportNode', { id });
      break;
    default:
      break;
  }
}

attachPointerInput(view, (id) => tabs.toggleCompared(id));
attachKeyboard(view, {
  open: (id) => void send('openNodeFile', { id, file: 'plan' }),
  fork: (id) => runAction('fork', id),
  run: (id) => runAction('run', id),
  togglePrune: (id) => runAction(model.get(id)?.pruned ? 'unprune' : 'prune', id),
});

function showError(message: string): void {
  status.textContent = `⚠ ${message.split('\n')[0]}`;
  status.className = 'error';
}

function refreshSummary(): void {
  const m = model.meta;
  if (!m) return;
  title.textContent = m.experiment;
  const best = m.bestId ? model.get(m.bestId) : undefined;
  const parts = [
    `${m.metric} (${m.goal})`,
    `${model.size} nodes`,
    `${m.runs}${m.maxRuns !== null ? `/${m.maxRuns}` : ''} runs`,
    best && best.score !== null ? `best ${best.id} ${formatScore(best.score)}` : 'no result yet',
    m.search === 'idle' ? 'search idle' : `search ${m.search}`,
  ];
  summary.textContent = parts.join(' · ');
  if (status.className !== 'error') status.textContent = '';
}

/** A colour swatch; styled through CSSOM because the CSP forbids inline style attributes. */
function swatch(colour: string): HTMLElement {
  const i = el('i');
  i.style.background = colour;
  return i;
}

function drawLegend(): void {
  const t = readTheme();
  const key = (colour: string, label: string) => el('span', { class: 'key' }, swatch(colour), label);
  legend.replaceChildren(
    el('span', { class: 'key' }, 'worse ', ...Array.from({ length: SCORE_BUCKETS }, (_, b) => swatch(t.score[b])), ' better'),
    key(t.status.running, 'running'),
    key(t.status.pending, 'queued'),
    key(t.status.draft, 'draft / approval'),
    key(t.bestPath, 'best path'),
  );
}

function saveState(): void {
  window.clearTimeout(saveTimer);
  saveTimer = window.setTimeout(() => {
    const state: ViewState = { camera: view.camera.state(), selected: view.selected, compared: [...tabs.compared], experimentDir: model.meta?.experimentDir ?? experimentDir };
    api.setState(state);
  }, 300);
}

// Restore the view after a reload (the panel is recreated without retainContextWhenHidden).
const saved = api.getState() as ViewState | undefined;
if (saved?.camera) view.restoreCamera(saved.camera);
if (saved?.selected) pendingSelection.id = saved.selected;
if (Array.isArray(saved?.compared)) tabs.restoreCompared(saved.compared.filter((id): id is string => typeof id === 'string'));

new ResizeObserver(() => view.resize(treeWrap.clientWidth, treeWrap.clientHeight)).observe(treeWrap);
view.resize(treeWrap.clientWidth, treeWrap.clientHeight);
// VS Code swaps the body's theme class (vscode-dark, vscode-light, ...) when the theme changes.
new MutationObserver(() => {
  view.refreshTheme();
  drawLegend();
}).observe(document.body, { attributes: true, attributeFilter: ['class'] });
drawLegend();

window.__trex = { model, view, host, tabs, flush: () => view.flush() };

host.request('ready', { viewState: saved ?? null }).then(
  (r) => {
    experimentDir = r.experimentDir;
    saveState();
  },
  (e: Error) => showError(e.message),
);
