// Draws the tree on one canvas. Everything off-screen is culled; nodes are grouped by fill colour
// so each colour is one path and one fill() (10k nodes stay a few milliseconds); labels and status
// badges appear only when boxes are big enough on screen to read them.
import type { Camera } from './camera';
import { NODE_H, NODE_W, type Layout } from './layout';
import type { NodeStatusView } from './protocol';
import { SCORE_BUCKETS, scoreBucket, type Theme } from './theme';
import type { TreeModel } from './treeModel';

const STATUSES: NodeStatusView[] = ['draft', 'awaiting_approval', 'pending', 'running', 'succeeded', 'failed', 'cancelled', 'rejected', 'stopped'];
const STATUS_INDEX = new Map(STATUSES.map((s, i) => [s, i]));
const COLOURS = SCORE_BUCKETS + STATUSES.length;

const BADGE: Partial<Record<NodeStatusView, string>> = { running: '▶', failed: '✗', pending: '…', awaiting_approval: '?', draft: '✎', cancelled: '⊘', rejected: '⊘', stopped: '⏸' };

export interface Frame {
  model: TreeModel;
  layout: Layout;
  camera: Camera;
  theme: Theme;
  selected: number;
  width: number;
  height: number;
  now: number;
}

export class TreeRenderer {
  private readonly ctx: CanvasRenderingContext2D;
  /** Node indices per colour (second half: excluded nodes, drawn faded); reused across frames. */
  private readonly buckets: number[][] = Array.from({ length: COLOURS * 2 }, () => []);
  private dpr = 1;
  /** Labelled nodes in the last frame, so the caller knows whether a clock tick needs a redraw. */
  labelsShown = false;

  constructor(readonly canvas: HTMLCanvasElement) {
    const ctx = canvas.getContext('2d', { alpha: false });
    if (!ctx) throw new Error('canvas 2d context unavailable');
    this.ctx = ctx;
  }

  resize(width: number, height: number, dpr: number): void {
    this.dpr = dpr;
    this.canvas.width = Math.max(1, Math.round(width * dpr));
    this.canvas.height = Math.max(1, Math.round(height * dpr));
    this.canvas.style.width = `${width}px`;
    this.canvas.style.height = `${height}px`;
  }

  /** Fill colour index of a node: a score bucket once scored, its status colour otherwise. */
  static colourIndex(model: TreeModel, i: number): number {
    const q = model.quality(i);
    if (q !== null) return scoreBucket(q);
    return SCORE_BUCKETS + (STATUS_INDEX.get(model.nodes[i].status) ?? 2);
  }

  draw(f: Frame): void {
    const { ctx, dpr } = this;
    const { model, layout, camera, theme } = f;
    const k = camera.k;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = theme.background;
    ctx.fillRect(0, 0, f.width, f.height);
    const n = Math.min(model.size, layout.x.length);
    if (n === 0) return;

    // Visible world rectangle, padded by one box.
    const [wx0, wy0] = camera.toWorld(0, 0);
    const [wx1, wy1] = camera.toWorld(f.width, f.height);
    const left = wx0 - NODE_W;
    const right = wx1 + NODE_W;
    const top = wy0 - NODE_H;
    const bottom = wy1 + NODE_H;
    const xs = layout.x;
    const ys = layout.y;
    const visible = (i: number) => xs[i] >= left && xs[i] <= right && ys[i] >= top && ys[i] <= bottom;

    ctx.setTransform(dpr * k, 0, 0, dpr * k, dpr * camera.x, dpr * camera.y);
    this.drawEdges(f, n, left, right, top, bottom);

    // Boxes never shrink below ~2 screen pixels, so a 10k-node overview still shows colours.
    const w = Math.max(NODE_W, 2.5 / k);
    const h = Math.max(NODE_H, 2.5 / k);
    for (const b of this.buckets) b.length = 0;
    let shown = 0;
    for (let i = 0; i < n; i++) {
      if (!visible(i)) continue;
      shown++;
      this.buckets[TreeRenderer.colourIndex(model, i) + (model.excluded[i] ? COLOURS : 0)].push(i);
    }
    const rounded = NODE_W * k > 40;
    for (let c = 0; c < this.buckets.length; c++) {
      const list = this.buckets[c];
      if (list.length === 0) continue;
      const colour = c % COLOURS;
      ctx.globalAlpha = c >= COLOURS ? 0.3 : 1;
      ctx.fillStyle = colour < SCORE_BUCKETS ? theme.score[colour] : theme.status[STATUSES[colour - SCORE_BUCKETS]];
      ctx.beginPath();
      for (const i of list) {
        if (rounded) ctx.roundRect(xs[i] - w / 2, ys[i] - h / 2, w, h, 5);
        else ctx.rect(xs[i] - w / 2, ys[i] - h / 2, w, h);
      }
      ctx.fill();
    }
    ctx.globalAlpha = 1;

    this.labelsShown = NODE_W * k >= 70 && shown <= 3000;
    if (NODE_W * k >= 24) this.drawOutlines(f, n, visible);
    if (this.labelsShown) this.drawLabels(f, n, visible);
    this.drawSelection(f);
  }

  private drawEdges(f: Frame, n: number, left: number, right: number, top: number, bottom: number): void {
    const { ctx } = this;
    const { model, layout, camera, theme } = f;
    const xs = layout.x;
    const ys = layout.y;
    const normal = new Path2D();
    const faded = new Path2D();
    const best = new Path2D();
    for (let i = 0; i < n; i++) {
      const p = model.parentOf[i];
      if (p < 0) continue;
      const x0 = xs[p];
      const x1 = xs[i];
      const y0 = ys[p] + NODE_H / 2;
      const y1 = ys[i] - NODE_H / 2;
      if (y1 < top || y0 > bottom || Math.max(x0, x1) < left || Math.min(x0, x1) > right) continue;
      const path = model.onBestPath[i] && model.onBestPath[p] ? best : model.excluded[i] ? faded : normal;
      const ym = (y0 + y1) / 2;
      path.moveTo(x0, y0);
      path.lineTo(x0, ym);
      path.lineTo(x1, ym);
      path.lineTo(x1, y1);
    }
    const px = 1 / camera.k;
    ctx.lineWidth = px;
    ctx.strokeStyle = theme.edge;
    ctx.stroke(normal);
    ctx.globalAlpha = 0.3;
    ctx.stroke(faded);
    ctx.globalAlpha = 1;
    ctx.lineWidth = 3 * px;
    ctx.strokeStyle = theme.bestPath;
    ctx.stroke(best);
  }

  private drawOutlines(f: Frame, n: number, visible: (i: number) => boolean): void {
    const { ctx } = this;
    const { model, layout, camera, theme } = f;
    const px = 1 / camera.k;
    const best = model.meta?.bestId ? model.index.get(model.meta.bestId) : undefined;
    ctx.lineWidth = 2 * px;
    for (let i = 0; i < n; i++) {
      if (!visible(i)) continue;
      const node = model.nodes[i];
      let colour: string | null = null;
      if (i === best) colour = theme.bestPath;
      else if (node.status === 'running') colour = theme.status.running;
      else if (node.modified) colour = theme.status.draft;
      if (!colour) continue;
      ctx.strokeStyle = colour;
      ctx.lineWidth = (i === best ? 3 : 2) * px;
      ctx.beginPath();
      ctx.roundRect(layout.x[i] - NODE_W / 2 - 2 * px, layout.y[i] - NODE_H / 2 - 2 * px, NODE_W + 4 * px, NODE_H + 4 * px, 6);
      ctx.stroke();
    }
  }

  private drawLabels(f: Frame, n: number, visible: (i: number) => boolean): void {
    const { ctx } = this;
    const { model, layout, theme, camera } = f;
    const best = model.meta?.bestId ?? null;
    const twoLines = NODE_W * camera.k >= 100;
    ctx.textBaseline = 'middle';
    ctx.fillStyle = theme.nodeText;
    const maxChars = 19;
    for (let i = 0; i < n; i++) {
      if (!visible(i)) continue;
      const node = model.nodes[i];
      const x = layout.x[i] - NODE_W / 2 + 6;
      const y = layout.y[i];
      ctx.globalAlpha = model.excluded[i] ? 0.6 : 1;
      ctx.font = `bold 11px ${theme.font}`;
      const score = node.score !== null ? formatScore(node.score) : '';
      ctx.fillText(`${node.id}${score ? '  ' + score : ''}`, x, twoLines ? y - 8 : y);
      if (twoLines) {
        ctx.font = `10px ${theme.font}`;
        const second = node.status === 'running' ? `${node.stage ?? 'running'} · ${formatElapsed(f.now - node.updatedAt)}` : node.title;
        ctx.fillText(truncate(second, maxChars), x, y + 8);
      }
      const badge = node.id === best ? '★' : node.pruned ? '⊘' : BADGE[node.status];
      if (badge) {
        ctx.font = `bold 12px ${theme.font}`;
        ctx.fillText(badge, layout.x[i] + NODE_W / 2 - 16, y - (twoLines ? 8 : 0));
      }
    }
    ctx.globalAlpha = 1;
  }

  /** The selected node gets a ring of constant screen size, so it is findable at any zoom. */
  private drawSelection(f: Frame): void {
    if (f.selected < 0 || f.selected >= f.layout.x.length) return;
    const { ctx } = this;
    const { layout, camera, theme } = f;
    const px = 1 / camera.k;
    const w = Math.max(NODE_W, 2.5 * px) + 8 * px;
    const h = Math.max(NODE_H, 2.5 * px) + 8 * px;
    ctx.strokeStyle = theme.selection;
    ctx.lineWidth = 3 * px;
    ctx.beginPath();
    ctx.roundRect(layout.x[f.selected] - w / 2, layout.y[f.selected] - h / 2, w, h, 7 * px);
    ctx.stroke();
    if (NODE_W * camera.k < 24) {
      ctx.beginPath();
      ctx.arc(layout.x[f.selected], layout.y[f.selected], 14 * px, 0, Math.PI * 2);
      ctx.stroke();
    }
  }
}

export function formatScore(s: number): string {
  return Math.abs(s) >= 100 ? s.toFixed(0) : s.toFixed(4).replace(/0+$/, '').replace(/\.$/, '');
}

export function formatElapsed(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m}m${String(s % 60).padStart(2, '0')}s` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

function truncate(s: string, max: number): string {
  return s.length > max ? s.slice(0, max - 1) + '…' : s;
}
