// What happens to a node after the Executor's verified fix. A node is a hypothesis: its edge's own
// changes (its diff against the parent) are what it tests. A fix that keeps them queues the node
// again, recorded as the Executor's. A fix that removes or changes them would test something else
// under the node's name (and later prompts would read "this change did not help"), so the node
// stays failed with the reason, its files go back to what was planned, and the fix becomes a new
// child with its own plan. A fix whose config equals an existing node is refused: that work exists.
import { queueNode } from '../../actions';
import { configHash, type Experiment } from '../../experiment';
import { diffConfigs, getPath, type NodeConfig } from '../../spec/configPaths';
import { STAGES, type EdgeChange } from '../../tree/events';

export type FixSettlement =
  | { kind: 'requeued' }
  | { kind: 'refused'; twin: string; reason: string }
  | { kind: 'new_child'; child: string; touched: string[]; reason: string };

/** The node's files as they were before the Executor's session (restored when a fix is not accepted as the node's). */
export interface NodeSnapshot {
  plan: string;
  config: NodeConfig;
}

/** The edge's own changes whose value the fix altered (or removed). */
export function touchedEdgeChanges(changes: readonly EdgeChange[], before: NodeConfig, after: NodeConfig): EdgeChange[] {
  return changes.filter((c) => JSON.stringify(getPath(before, c.path)) !== JSON.stringify(getPath(after, c.path)));
}

/**
 * Settles a verified fix of failed node `id` (its files now hold the fix). `queue`: whether a
 * fix that is accepted runs (the node again, or the new child); otherwise the child is a draft.
 */
export function settleFix(exp: Experiment, id: string, before: NodeSnapshot, summary: string, queue: boolean): FixSettlement {
  const node = exp.tree.get(id);
  const after = exp.readNodeConfig(id);
  const hash = configHash(exp.spec, after);
  const twin = [...exp.tree.nodes.values()].find((n) => n.id !== id && n.configHash === hash);
  const touched = touchedEdgeChanges(node.changes, before.config, after);
  if (!twin && touched.length === 0) {
    if (queue) queueNode(exp, id, 'executor');
    return { kind: 'requeued' };
  }
  // Either way the node keeps its planned config: its files say what it tested.
  exp.writeNodeFiles(id, before.plan, before.config);
  const failure = node.failure;
  const keepFailed = (note: string) => {
    const stage = STAGES.find((s) => s === failure?.stage) ?? 'setup';
    // The same failure (stage, log, compute spent), with the note: nothing is counted twice.
    exp.emit({ type: 'node_failed', id, stage, reason: `${failure?.reason ?? 'failed'}\n\n${note}`, logTail: failure?.logTail ?? '', computeMs: failure?.computeMs });
  };
  if (twin) {
    const reason = `The Executor's fix was refused: it makes the config equal to ${twin.id} ("${twin.title}"), which already exists; identical work is never run twice.`;
    keepFailed(reason);
    return { kind: 'refused', twin: twin.id, reason };
  }
  const paths = touched.map((c) => c.path);
  const changes = diffConfigs(before.config, after).map((c) => ({ path: c.path, from: c.from ?? null, to: c.to ?? null }));
  const plan = [
    `# Executor's fix of ${id}`,
    '',
    `${id} ("${node.title}") failed${failure ? ` in ${failure.stage}: ${failure.reason.split('\n')[0].slice(0, 300)}` : ''}.`,
    `The only fix the Executor found changes ${id}'s own change${paths.length > 1 ? 's' : ''} (${paths.join(', ')}), so it is a different experiment from ${id}'s plan and is run as this child instead.`,
    '',
    '## What the Executor changed',
    '',
    ...changes.map((c) => `- ${c.path}: ${JSON.stringify(c.from)} → ${JSON.stringify(c.to)}`),
    '',
    '## The Executor\'s summary',
    '',
    summary.trim() || '(none)',
    '',
  ].join('\n');
  const child = exp.createNode({ parent: id, origin: 'proposer', proposer: 'executor fix', by: 'executor', title: `fix of ${id}: ${paths.join(', ')} changed`, plan, config: after, changes, status: queue ? 'pending' : 'draft' });
  const reason = `The Executor's only fix changes this node's own change${paths.length > 1 ? 's' : ''} (${paths.join(', ')}): the hypothesis was not tested. The fix is ${child}, a new child with its own plan.`;
  keepFailed(reason);
  return { kind: 'new_child', child, touched: paths, reason };
}
