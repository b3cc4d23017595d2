// What a person does to the tree by hand: fork, run, prune, approve, reject. Each is one event,
// so the CLI, the extension and a running search all see the same history.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { configHash, Experiment, recipeHash, SPEC_FILE } from './experiment';
import { ExperimentLock } from './lock';
import { resolveTrain } from './frameworks';
import { diffConfigs } from './spec/configPaths';
import type { FieldSetter } from './tree/events';
import { attributeChanges } from './tree/provenance';

/** A new child with the parent's files, left as a draft for the user to edit; it runs when asked. */
export function forkNode(exp: Experiment, parentId: string, title = `fork of ${parentId}`): string {
  exp.tree.get(parentId);
  const config = exp.readNodeConfig(parentId);
  const plan = `# ${title}\n\n## Hypothesis\n\n(Describe what you expect this edit of ${parentId} to change.)\n\n## Changes vs ${parentId}\n\n(Edit recipe.yaml and train.yaml in this folder, then run the node.)\n`;
  return exp.createNode({ parent: parentId, origin: 'fork', title, plan, config, changes: [], status: 'draft' });
}

/**
 * Queues a node (a draft, an edited node, or a finished one to re-run). Its changes vs the parent
 * are recomputed from its files; a value that changed is attributed to `by` (the user, or the
 * Executor after its fix), the others keep who set them.
 */
export function queueNode(exp: Experiment, id: string, by: FieldSetter = 'user'): void {
  const node = exp.tree.get(id);
  if (node.status === 'running') throw new Error(`${id} is already running`);
  const config = exp.readNodeConfig(id); // validates: a bad file is refused here, with file and line
  const diff = node.parent ? diffConfigs(exp.readNodeConfig(node.parent), config).map((c) => ({ path: c.path, from: c.from, to: c.to })) : [];
  const changes = attributeChanges(node.changes, diff, by);
  exp.emit({ type: 'node_edited', id, file: 'recipe.yaml/train.yaml', configHash: configHash(exp.spec, config), recipeHash: recipeHash(exp.spec, config.recipe), changes, by });
  exp.emit({ type: 'node_status', id, status: 'pending', reason: node.status === 'draft' ? undefined : by === 'executor' ? "queued again by the Executor after its fix passed the cheap check" : 'queued again by the user' });
}

/**
 * Queues a node that was stopped early to continue from the checkpoint its trainer saved at the
 * step it was stopped; it then trains to the end (no rung stops it again) and is scored in full.
 */
export function resumeNode(exp: Experiment, id: string, by: FieldSetter = 'user'): number {
  const node = exp.tree.get(id);
  if (node.status !== 'stopped' || !node.earlyStop) throw new Error(`${id} was not stopped early (it is ${node.status}); only a stopped node can be resumed`);
  // Only the micro trainer saves resumable checkpoints during training so far.
  const framework = resolveTrain(exp.readNodeConfig(id).train).framework;
  if (framework !== 'micro') throw new Error(`${id} trains with ${framework}, which saves no checkpoint during training to resume from; run it again from the start instead`);
  exp.emit({ type: 'node_resumed', id, step: node.earlyStop.step, by });
  return node.earlyStop.step;
}

export function setPruned(exp: Experiment, id: string, pruned: boolean): void {
  exp.tree.get(id);
  exp.emit({ type: 'node_pruned', id, pruned });
}

export function approveNode(exp: Experiment, id: string): void {
  const node = exp.tree.get(id);
  if (node.status !== 'awaiting_approval') throw new Error(`${id} is not awaiting approval (it is ${node.status})`);
  exp.emit({ type: 'node_status', id, status: 'pending' });
}

export function rejectNode(exp: Experiment, id: string): void {
  const node = exp.tree.get(id);
  if (node.status !== 'awaiting_approval' && node.status !== 'draft') throw new Error(`${id} is not awaiting approval (it is ${node.status})`);
  exp.emit({ type: 'node_status', id, status: 'rejected' });
}

/**
 * Runs a by-hand action on an experiment no search is running on. The lock is taken before the
 * log is opened for writing (opening repairs a partial last line, which may be a running search's
 * write in progress) and held until the action's events are written, so no search starts in between.
 */
export function withIdleExperiment<T>(dir: string, what: string, fn: (exp: Experiment) => T): T {
  const abs = resolve(dir);
  if (!existsSync(join(abs, SPEC_FILE))) Experiment.open(abs, { readOnly: true }); // the clear "not an experiment folder" error, writing nothing
  const lock = new ExperimentLock(abs);
  try {
    lock.acquire();
  } catch (e) {
    throw new Error(`${(e as Error).message}; ${what} from the VS Code panel or stop it first`);
  }
  try {
    const exp = Experiment.open(abs);
    try {
      return fn(exp);
    } finally {
      exp.close();
    }
  } finally {
    lock.release();
  }
}
