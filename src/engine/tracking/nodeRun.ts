// One finished node as a tracker run, independent of the tracker: its tags, its parameters (the
// flattened recipe and train config), its per-step training log (ckpt/trainer_log.jsonl, else the
// TREX_PROGRESS lines of logs/train.log), its final metrics, its plan and where its folder is.
import { existsSync, readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { normalizeTrain, NODE_FILES, type Experiment } from '../experiment';
import { parseProgressLine } from '../executor/progress';
import type { Json } from '../spec/types';
import type { TreeNode } from '../tree/tree';
import { isPlainObject } from '../util/isPlainObject';

export type ParamValue = string | number | boolean;

export interface RunStep {
  step: number;
  values: Record<string, number>;
}

export interface NodeRunRecord {
  experiment: string;
  nodeId: string;
  /** Which ending of the node this is (its end time): a node queued again and finished again is a new run. */
  attempt: string;
  runName: string;
  status: 'succeeded' | 'failed';
  startMs: number;
  endMs: number;
  /** trex.node_id, trex.parent, trex.policy, trex.status and the rest, as strings. */
  tags: Record<string, string>;
  params: Record<string, ParamValue>;
  steps: RunStep[];
  final: Record<string, number>;
  /** The node's plan.md followed by a link to its folder. */
  description: string;
  nodeDir: string;
  nodeUrl: string;
}

/** Nodes that a tracker logs: finished ones (a result or a failure). */
export function isFinished(n: TreeNode): n is TreeNode & { status: 'succeeded' | 'failed' } {
  return n.status === 'succeeded' || n.status === 'failed';
}

const MAX_STEPS = 10_000;
// Step counters are the step itself, not metrics.
const STEP_KEYS = new Set(['current_steps', 'total_steps', 'percentage', 'step']);

export function buildNodeRun(exp: Experiment, node: TreeNode, policy: string): NodeRunRecord {
  if (!isFinished(node)) throw new Error(`${node.id} has not finished (${node.status})`);
  const nodeDir = exp.nodeDir(node.id);
  const endMs = node.updatedAt;
  const wallMs = node.result?.wallMs ?? 0;
  const tags: Record<string, string> = {
    'trex.node_id': node.id,
    'trex.parent': node.parent ?? '',
    'trex.policy': policy,
    'trex.status': node.status,
    'trex.origin': node.origin,
    'trex.title': node.title,
    'trex.attempt': String(endMs),
    'trex.node_dir': nodeDir,
  };
  if (node.proposer) tags['trex.proposer'] = node.proposer;
  if (node.changes.length) tags['trex.changes'] = node.changes.map((c) => `${c.path}=${JSON.stringify(c.to)}`).join(', ');
  if (node.result?.reusedFrom) tags['trex.reused_from'] = node.result.reusedFrom;
  if (node.result?.warmStartFrom) tags['trex.warm_start_from'] = node.result.warmStartFrom;
  if (node.failure) {
    tags['trex.failed_stage'] = node.failure.stage;
    tags['trex.failure'] = node.failure.reason.slice(0, 1000);
  }
  const nodeUrl = pathToFileURL(nodeDir).href;
  const plan = readOr(exp.nodePath(node.id, NODE_FILES.plan), '');
  return {
    experiment: exp.spec.name,
    nodeId: node.id,
    attempt: String(endMs),
    runName: `${node.id} ${node.title}`.slice(0, 250),
    status: node.status,
    startMs: wallMs > 0 ? endMs - wallMs : node.createdAt,
    endMs,
    tags,
    params: configParams(exp, node.id),
    steps: node.result?.reusedFrom ? [] : trainingSteps(exp, node.id),
    final: finalMetrics(node),
    description: `${plan.trim()}\n\n---\nNode folder: ${nodeUrl}\n`,
    nodeDir,
    nodeUrl,
  };
}

/** recipe.* and train.* leaves (train with its defaults filled in); a config that no longer parses gives none. */
function configParams(exp: Experiment, id: string): Record<string, ParamValue> {
  const out: Record<string, ParamValue> = {};
  let config;
  try {
    config = exp.readNodeConfig(id);
  } catch {
    return out;
  }
  flatten(config.recipe, 'recipe', out);
  flatten(normalizeTrain(config.train), 'train', out);
  return out;
}

function flatten(v: Json | undefined, prefix: string, out: Record<string, ParamValue>): void {
  if (v === undefined) return;
  if (v !== null && typeof v === 'object') {
    const entries = Array.isArray(v) ? v.map((x, i) => [String(i), x] as const) : Object.entries(v);
    if (entries.length === 0) out[prefix] = JSON.stringify(v);
    for (const [k, child] of entries) flatten(child, `${prefix}.${k}`, out);
    return;
  }
  out[prefix] = v === null ? 'null' : v;
}

/** The per-step log: the trainer's own trainer_log.jsonl, else the progress lines of the train log. */
function trainingSteps(exp: Experiment, id: string): RunStep[] {
  const trainerLog = exp.nodePath(id, 'ckpt', 'trainer_log.jsonl');
  if (existsSync(trainerLog)) {
    const steps = stepsFromTrainerLog(readOr(trainerLog, ''));
    if (steps.length) return steps;
  }
  return stepsFromProgress(readOr(exp.nodePath(id, 'logs', 'train.log'), ''));
}

export function stepsFromTrainerLog(text: string): RunStep[] {
  const steps: RunStep[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim() || steps.length >= MAX_STEPS) continue;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch {
      continue;
    }
    if (!isPlainObject(row)) continue;
    const values: Record<string, number> = {};
    for (const [k, v] of Object.entries(row)) if (!STEP_KEYS.has(k) && typeof v === 'number' && Number.isFinite(v)) values[`train/${k}`] = v;
    const step = typeof row.current_steps === 'number' && Number.isFinite(row.current_steps) ? row.current_steps : steps.length + 1;
    if (Object.keys(values).length) steps.push({ step, values });
  }
  return steps;
}

export function stepsFromProgress(text: string): RunStep[] {
  const steps: RunStep[] = [];
  for (const line of text.split('\n')) {
    const p = parseProgressLine(line);
    if (!p || p.step === undefined || steps.length >= MAX_STEPS) continue;
    const values: Record<string, number> = {};
    if (p.loss !== undefined) values['train/loss'] = p.loss;
    if (p.epoch !== undefined) values['train/epoch'] = p.epoch;
    if (Object.keys(values).length) steps.push({ step: p.step, values });
  }
  return steps;
}

/** The result's numeric metrics by split ("validation/accuracy", "test/accuracy") and the node's cost. */
function finalMetrics(node: TreeNode): Record<string, number> {
  const out: Record<string, number> = {};
  const walk = (v: Json | undefined, prefix: string) => {
    if (typeof v === 'number' && Number.isFinite(v)) out[prefix] = v;
    else if (isPlainObject(v)) for (const [k, child] of Object.entries(v)) walk(child as Json, prefix ? `${prefix}/${k}` : k);
  };
  const r = node.result;
  if (r) {
    walk(r.metrics, '');
    out['trex/score'] = r.score;
    if (r.testScore !== undefined) out['trex/test_score'] = r.testScore;
    out['trex/compute_s'] = r.computeMs / 1000;
    out['trex/wall_s'] = r.wallMs / 1000;
  } else if (node.failure) {
    out['trex/compute_s'] = node.failure.computeMs / 1000;
  }
  return out;
}

function readOr(path: string, fallback: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return fallback;
  }
}
