// Checks of tracking.tensorboard.framework_logs (the frameworks' own report_to tensorboard) on the
// real runs of realRuns.test.ts: with the opt-in, hf, trl and llamafactory write event files into
// nodes/<id>/run/tensorboard that TensorBoard's EventAccumulator (the trainer venv's tensorboard)
// reads back with a falling train loss, and TREX's own TensorBoard tracker copies them beside its
// run of the node; without it, the node folder holds no event files.
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { JsonObject } from '../../../src/engine';
import { buildNodeRun } from '../../../src/engine/tracking/nodeRun';
import { PythonTracker } from '../../../src/engine/tracking/pythonTracker';
import { resolveTracking } from '../../../src/engine/tracking/settings';
import { readBack } from '../../tracking/servers';
import { PYTHON, type RealRun } from './realHelpers';

export const FRAMEWORK_LOGS_ON: JsonObject = { tracking: { tensorboard: { framework_logs: true } } };
type Scalars = Record<string, Record<string, [number, number][]>>;

export function eventFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.includes('tfevents'));
}

/** The one run's train/loss under `dir`, read back with TensorBoard's EventAccumulator. */
function trainLoss(dir: string): [number, number][] {
  const runs = readBack<Scalars>(PYTHON, 'events', dir);
  const withLoss = Object.values(runs).filter((s) => s['train/loss']);
  assert.equal(withLoss.length, 1, `one run with train/loss under ${dir}: ${JSON.stringify(Object.keys(runs))}`);
  return withLoss[0]['train/loss'];
}

function assertFalling(points: [number, number][]): void {
  assert.ok(points.length >= 2, `at least two train/loss points: ${JSON.stringify(points)}`);
  const losses = points.map(([, v]) => v);
  assert.ok(losses[losses.length - 1] < losses[0], `train/loss falls: ${JSON.stringify(points)}`);
  assert.deepEqual(points.map(([s]) => s), [...points.map(([s]) => s)].sort((a, b) => a - b), 'steps in order');
}

export async function assertFrameworkLogs(run: RealRun): Promise<void> {
  const { exp, id } = run;
  const dir = exp.nodePath(id, 'run', 'tensorboard');
  assert.ok(eventFiles(dir).length >= 1, `event files in ${dir}`);
  const loss = trainLoss(dir);
  assertFalling(loss);
  // TREX's own TensorBoard run of the node gets the framework's run beside it.
  const target = resolveTracking(exp.spec, exp.dir)?.tensorboard;
  assert.ok(target?.frameworkRuns, 'framework_logs reaches the tracker');
  await new PythonTracker(PYTHON, { kind: 'tensorboard', tensorboard: target }, process.env).log(buildNodeRun(exp, exp.tree.get(id), 'uct'), new AbortController().signal);
  const view = readBack<Scalars>(PYTHON, 'events', target.logDir);
  assert.deepEqual(view[join(id, 'framework')]?.['train/loss'], loss, 'the experiment view shows the framework run as <node>/framework');
  assert.ok(view[id], "TREX's own run of the node is there too");
}

