// One handler per host event: each applies its patch to the model and tells the views.
import type { HostEvents } from './protocol';
import type { HostConnection } from './rpc';
import type { TreeModel } from './treeModel';
import type { TreeCanvas } from './treeCanvas';
import type { DetailsPane } from './detailsPane';

export interface ViewContext {
  model: TreeModel;
  view: TreeCanvas;
  details: DetailsPane;
  /** Header, legend and other summary text. */
  refreshSummary(): void;
  /** Re-fetch the selected node's details (its files or results changed). */
  refreshDetails(id: string): void;
  /** A node the UI wants selected as soon as it exists (a fork that is still on its way). */
  pendingSelection: { id: string | null };
  saveState(): void;
  /** Nodes came, went or finished: an open compare/knobs/experiment view refreshes (closed ones do nothing). */
  viewsStale(): void;
}

type Handlers = { [E in keyof HostEvents]: (ctx: ViewContext, data: HostEvents[E]) => void };

const handlers: Handlers = {
  treeReset(ctx, snapshot) {
    const switching = ctx.model.meta !== null && ctx.model.meta.experimentDir !== snapshot.meta.experimentDir;
    ctx.model.reset(snapshot);
    ctx.view.changed('structure');
    if (switching) {
      ctx.view.select(null);
      ctx.view.fitAll();
    }
    ctx.saveState();
    ctx.refreshSummary();
    const wanted = ctx.pendingSelection.id;
    if (wanted && ctx.model.index.has(wanted)) {
      ctx.pendingSelection.id = null;
      ctx.view.select(wanted, true);
    }
    const sel = ctx.view.selected;
    if (sel) ctx.refreshDetails(sel);
    ctx.viewsStale();
  },

  nodeUpserted(ctx, { node }) {
    const before = ctx.model.get(node.id);
    ctx.view.changed(ctx.model.upsert(node));
    if (ctx.pendingSelection.id === node.id) {
      ctx.pendingSelection.id = null;
      ctx.view.select(node.id, true);
    } else if (ctx.view.selected === node.id) {
      ctx.details.show(node);
      // Results, plans and diffs change with the status or an edit: fetch them again.
      if (!before || before.status !== node.status || before.modified !== node.modified) ctx.refreshDetails(node.id);
    }
    if (!before || before.status !== node.status || before.score !== node.score) {
      ctx.refreshSummary();
      ctx.viewsStale();
    }
  },

  nodesRemoved(ctx, { ids }) {
    ctx.view.changed(ctx.model.remove(ids));
    ctx.refreshSummary();
    ctx.viewsStale();
  },

  metaChanged(ctx, { meta }) {
    ctx.view.changed(ctx.model.setMeta(meta));
    ctx.refreshSummary();
  },

  stageProgress(ctx, progress) {
    ctx.details.setProgress(progress);
  },

  nodeFilesChanged(ctx, { id }) {
    if (ctx.view.selected === id) ctx.refreshDetails(id);
  },

  revealNode(ctx, { id }) {
    if (ctx.model.index.has(id)) ctx.view.select(id, true);
    else ctx.pendingSelection.id = id;
  },
};

export function registerHostEvents(host: HostConnection, ctx: ViewContext): void {
  for (const type of Object.keys(handlers) as (keyof HostEvents)[]) {
    const handler = handlers[type] as (ctx: ViewContext, data: unknown) => void;
    host.on(type, (data: unknown) => handler(ctx, data));
  }
}
