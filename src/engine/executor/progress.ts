// Live progress parsed from a stage's log: the trainer prints `TREX_PROGRESS {json}` lines.
export interface StageProgress {
  nodeId: string;
  stage: string;
  step?: number;
  total?: number;
  loss?: number;
  epoch?: number;
  /** Seconds the stage spent on one-time shared work (building the base model): not this node's compute. */
  setupSeconds?: number;
  /** What the stage is doing when it is not counting steps (e.g. preparing the base model). */
  phase?: string;
  /** An evaluation during training: the metric's name and value at `step`. */
  evalMetric?: string;
  evalValue?: number;
  startedAtMs: number;
  where?: string;
}

const PREFIX = 'TREX_PROGRESS ';

/** Splits new log bytes into complete lines, keeping a partial tail for the next chunk. */
export class LineSplitter {
  private tail = '';
  push(chunk: string): string[] {
    const text = this.tail + chunk;
    const parts = text.split(/\r?\n|\r/);
    this.tail = parts.pop() ?? '';
    return parts;
  }
}

/** What one progress line says (every field optional). */
export type ProgressFields = Pick<StageProgress, 'step' | 'total' | 'loss' | 'epoch' | 'setupSeconds' | 'phase' | 'evalMetric' | 'evalValue'>;

export function parseProgressLine(line: string): ProgressFields | null {
  const i = line.indexOf(PREFIX);
  if (i < 0) return null;
  try {
    const v = JSON.parse(line.slice(i + PREFIX.length)) as Record<string, unknown>;
    const num = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) ? x : undefined);
    const name = (x: unknown) => (typeof x === 'string' && /^[A-Za-z0-9_.\-]{1,64}$/.test(x) ? x : undefined);
    const evalMetric = name(v.eval_metric);
    const evalValue = evalMetric !== undefined ? num(v.eval_value) : undefined;
    const parsed = { step: num(v.step), total: num(v.total), loss: num(v.loss), epoch: num(v.epoch), setupSeconds: num(v.setup_seconds), phase: typeof v.phase === 'string' ? v.phase.slice(0, 120) : undefined, evalMetric: evalValue !== undefined ? evalMetric : undefined, evalValue };
    return Object.fromEntries(Object.entries(parsed).filter(([, x]) => x !== undefined));
  } catch {
    return null;
  }
}

/** One progress record as a person reads it: "step 12/30 · loss 1.2345 · epoch 0.40". */
export function describeProgress(p: ProgressFields): string {
  const parts: string[] = [];
  if (p.phase !== undefined && p.setupSeconds === undefined) parts.push(p.phase);
  if (p.setupSeconds !== undefined) parts.push(`base model ready after ${p.setupSeconds.toFixed(1)}s (one-time, not counted as this run's compute)`);
  if (p.step !== undefined) parts.push(p.total !== undefined ? `step ${p.step}/${p.total}` : `step ${p.step}`);
  if (p.loss !== undefined) parts.push(`loss ${p.loss.toFixed(4)}`);
  if (p.epoch !== undefined) parts.push(`epoch ${p.epoch.toFixed(2)}`);
  if (p.evalMetric !== undefined && p.evalValue !== undefined) parts.push(`validation ${p.evalMetric} ${p.evalValue.toFixed(4)} (during training)`);
  return parts.length ? parts.join(' · ') : 'progress';
}

/**
 * Log text for people: each `TREX_PROGRESS {json}` line (written for the engine) becomes
 * "[progress] step 12/30 · loss 1.2345"; every other line is kept as it is.
 */
export function renderProgressLines(text: string): string {
  if (!text.includes(PREFIX)) return text;
  return text.replace(/^(.*)$/gm, (line) => {
    const p = parseProgressLine(line);
    if (!p) return line;
    const before = line.slice(0, line.indexOf(PREFIX));
    return `${before}[progress] ${describeProgress(p)}`;
  });
}
