// Colours come from VS Code's theme (CSS variables --vscode-*), re-read when the theme changes.
// Scores map onto a red → yellow → green ramp made of the theme's chart colours, quantised into
// buckets so the renderer fills all nodes of one colour with a single path.
import type { NodeStatusView } from './protocol';

export const SCORE_BUCKETS = 16;

export interface Theme {
  background: string;
  foreground: string;
  muted: string;
  edge: string;
  bestPath: string;
  selection: string;
  nodeText: string;
  score: string[];
  status: Record<NodeStatusView, string>;
  font: string;
}

type Rgb = [number, number, number];

function cssVar(style: CSSStyleDeclaration, name: string, fallback: string): string {
  const v = style.getPropertyValue(name).trim();
  return v || fallback;
}

const probe = document.createElement('canvas').getContext('2d');

/** Any CSS colour → [r, g, b], using the canvas parser. */
export function parseColor(css: string): Rgb {
  if (!probe) return [128, 128, 128];
  probe.fillStyle = '#808080';
  probe.fillStyle = css;
  const v = String(probe.fillStyle);
  if (v.startsWith('#')) return [parseInt(v.slice(1, 3), 16), parseInt(v.slice(3, 5), 16), parseInt(v.slice(5, 7), 16)];
  const m = v.match(/rgba?\(([^)]+)\)/);
  if (!m) return [128, 128, 128];
  const [r, g, b] = m[1].split(',').map((s) => parseFloat(s));
  return [r, g, b];
}

export function rgbCss([r, g, b]: Rgb): string {
  return `rgb(${Math.round(r)}, ${Math.round(g)}, ${Math.round(b)})`;
}

function mix(a: Rgb, b: Rgb, t: number): Rgb {
  return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];
}

/** Bucket index of a quality in [0, 1]. */
export function scoreBucket(quality: number): number {
  return Math.max(0, Math.min(SCORE_BUCKETS - 1, Math.round(quality * (SCORE_BUCKETS - 1))));
}

export function readTheme(): Theme {
  const style = getComputedStyle(document.documentElement);
  const v = (name: string, fallback: string) => cssVar(style, name, fallback);
  const red = parseColor(v('--vscode-charts-red', '#f14c4c'));
  const yellow = parseColor(v('--vscode-charts-yellow', '#cca700'));
  const green = parseColor(v('--vscode-charts-green', '#89d185'));
  const score: string[] = [];
  for (let b = 0; b < SCORE_BUCKETS; b++) {
    const t = b / (SCORE_BUCKETS - 1);
    score.push(rgbCss(t < 0.5 ? mix(red, yellow, t * 2) : mix(yellow, green, (t - 0.5) * 2)));
  }
  const muted = v('--vscode-disabledForeground', '#7f7f7f');
  return {
    background: v('--vscode-editor-background', '#1e1e1e'),
    foreground: v('--vscode-editor-foreground', '#d4d4d4'),
    muted,
    edge: v('--vscode-editorIndentGuide-activeBackground', v('--vscode-descriptionForeground', '#707070')),
    // The editor's text colour: contrasts with the background and with every score colour.
    bestPath: v('--vscode-editor-foreground', '#d4d4d4'),
    selection: v('--vscode-focusBorder', '#007fd4'),
    nodeText: '#111111',
    score,
    status: {
      draft: v('--vscode-charts-purple', '#b180d7'),
      awaiting_approval: v('--vscode-charts-purple', '#b180d7'),
      pending: muted,
      running: v('--vscode-charts-blue', '#3794ff'),
      succeeded: rgbCss(green),
      failed: v('--vscode-errorForeground', '#f48771'),
      cancelled: muted,
      rejected: muted,
      stopped: v('--vscode-charts-orange', '#d18616'),
    },
    font: v('--vscode-font-family', 'sans-serif'),
  };
}

/** Distinct line colours for overlaid series (compare view), from the theme's chart palette. */
export function seriesColours(): string[] {
  const style = getComputedStyle(document.documentElement);
  const v = (name: string, fallback: string) => cssVar(style, name, fallback);
  return [
    v('--vscode-charts-blue', '#3794ff'),
    v('--vscode-charts-orange', '#d18616'),
    v('--vscode-charts-green', '#89d185'),
    v('--vscode-charts-purple', '#b180d7'),
    v('--vscode-charts-red', '#f14c4c'),
    v('--vscode-charts-yellow', '#cca700'),
    v('--vscode-editor-foreground', '#d4d4d4'),
    v('--vscode-disabledForeground', '#7f7f7f'),
  ];
}
