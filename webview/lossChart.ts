// Loss curves of training runs (trainer_log.jsonl) as a small line chart: one curve in the details
// pane, several overlaid on shared axes in the compare view.
import type { LossPoint } from './protocol';

export interface ChartColours {
  line: string;
  axis: string;
  text: string;
  font: string;
}

export interface LossSeries {
  points: LossPoint[];
  colour: string;
}

export function drawLossChart(canvas: HTMLCanvasElement, points: LossPoint[], colours: ChartColours): void {
  drawLossCurves(canvas, [{ points, colour: colours.line }], colours);
}

export function drawLossCurves(canvas: HTMLCanvasElement, series: LossSeries[], colours: ChartColours): void {
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth || 300;
  const h = canvas.clientHeight || 120;
  canvas.width = Math.round(w * dpr);
  canvas.height = Math.round(h * dpr);
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, h);
  ctx.font = `10px ${colours.font}`;
  ctx.fillStyle = colours.text;
  const all = series.flatMap((s) => s.points);
  if (all.length === 0) {
    ctx.fillText('no training log yet', 8, h / 2);
    return;
  }
  const pad = { l: 40, r: 8, t: 8, b: 18 };
  // Loops, not Math.min(...spread): a long run has thousands of points.
  let x0 = Infinity;
  let x1 = -Infinity;
  let y0 = Infinity;
  let y1 = -Infinity;
  for (const p of all) {
    x0 = Math.min(x0, p.step);
    x1 = Math.max(x1, p.step);
    y0 = Math.min(y0, p.loss);
    y1 = Math.max(y1, p.loss);
  }
  x1 = Math.max(x1, x0 + 1);
  y1 = Math.max(y1, y0 + 1e-9);
  const sx = (s: number) => pad.l + ((s - x0) / (x1 - x0)) * (w - pad.l - pad.r);
  const sy = (l: number) => pad.t + (1 - (l - y0) / (y1 - y0)) * (h - pad.t - pad.b);
  ctx.strokeStyle = colours.axis;
  ctx.lineWidth = 1;
  ctx.beginPath();
  ctx.moveTo(pad.l, pad.t);
  ctx.lineTo(pad.l, h - pad.b);
  ctx.lineTo(w - pad.r, h - pad.b);
  ctx.stroke();
  ctx.textBaseline = 'middle';
  ctx.fillText(y1.toPrecision(3), 2, pad.t + 4);
  ctx.fillText(y0.toPrecision(3), 2, h - pad.b);
  ctx.textBaseline = 'top';
  ctx.fillText(`step ${x1}`, w - pad.r - 50, h - pad.b + 4);
  ctx.lineWidth = 2;
  for (const s of series) {
    if (s.points.length === 0) continue;
    ctx.strokeStyle = s.colour;
    ctx.beginPath();
    s.points.forEach((p, i) => (i === 0 ? ctx.moveTo(sx(p.step), sy(p.loss)) : ctx.lineTo(sx(p.step), sy(p.loss))));
    ctx.stroke();
  }
}
