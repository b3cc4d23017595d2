// How a node's training went, from its trainer log (ckpt/trainer_log.jsonl, one JSON object per
// logging step, as LLaMA-Factory, the TRL runner and the micro trainer write it): the loss curve
// summarised, eval loss where logged, the steps actually run, and whether the run continued the
// parent's checkpoint (a warm start trains only the extra epochs: "epochs 3→5" is not a fresh run).
import type { TreeNode } from '../../tree/tree';
import { isPlainObject } from '../../util/isPlainObject';
import { readBounded } from './boundedRead';

export const TRAINER_LOG = 'ckpt/trainer_log.jsonl';

export interface LossSummary {
  first: number;
  min: number;
  final: number;
  points: number;
  evalFirst?: number;
  evalMin?: number;
  evalFinal?: number;
  steps?: number;
  totalSteps?: number;
}

// A log's tail holds the final loss; long logs are summarised from their last part only.
const MAX_LOG_BYTES = 512 * 1024;

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

export function summarizeTrainerLog(text: string): LossSummary | undefined {
  const losses: number[] = [];
  const evals: number[] = [];
  let steps: number | undefined;
  let total: number | undefined;
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch {
      continue; // a partial first line of a tail read, or a torn last line of a running log
    }
    if (!isPlainObject(row)) continue;
    const loss = num(row.loss);
    const evalLoss = num(row.eval_loss);
    if (loss !== undefined) losses.push(loss);
    if (evalLoss !== undefined) evals.push(evalLoss);
    steps = num(row.current_steps) ?? steps;
    total = num(row.total_steps) ?? total;
  }
  if (losses.length === 0) return undefined;
  return {
    first: losses[0],
    min: Math.min(...losses),
    final: losses[losses.length - 1],
    points: losses.length,
    evalFirst: evals[0],
    evalMin: evals.length ? Math.min(...evals) : undefined,
    evalFinal: evals[evals.length - 1],
    steps,
    totalSteps: total,
  };
}

export function readLossSummary(nodeDir: string): LossSummary | undefined {
  const text = readBounded(`${nodeDir}/${TRAINER_LOG}`, MAX_LOG_BYTES, true);
  return text === undefined ? undefined : summarizeTrainerLog(text);
}

/** "train loss first 2.31, min 0.52, final 0.55 (20 points); eval loss …; 40 steps run" */
export function describeLoss(s: LossSummary): string {
  const parts = [`train loss first ${s.first}, min ${s.min}, final ${s.final} (${s.points} logged points)`];
  if (s.evalFinal !== undefined) parts.push(`eval loss first ${s.evalFirst}, min ${s.evalMin}, final ${s.evalFinal}`);
  if (s.steps !== undefined) parts.push(`${s.steps}${s.totalSteps !== undefined && s.totalSteps !== s.steps ? ` of ${s.totalSteps}` : ''} optimizer steps run`);
  return parts.join('; ');
}

/** Says when a result continued the parent's checkpoint instead of training from the base model. */
export function describeWarmStart(n: Pick<TreeNode, 'result' | 'changes'>): string {
  const from = n.result?.warmStartFrom;
  if (!from) return '';
  const epochs = n.changes.find((c) => c.path === 'train.epochs');
  const span = epochs && typeof epochs.from === 'number' && typeof epochs.to === 'number' ? `epochs ${epochs.from}→${epochs.to}: trained only the ${epochs.to - epochs.from} extra epoch(s) on top of ${from}'s checkpoint, ` : `continued ${from}'s checkpoint, `;
  return `WARM START from ${from} (${span}not a fresh ${epochs ? `${String(epochs.to)}-epoch ` : ''}run; the learning-rate schedule restarted)`;
}
