// Runs one node because the user asked (a fork they edited, a re-run), whether or not a search is
// running. The node goes straight from queued to running in one synchronous step, so a running
// search never picks it up as well.
import * as vscode from 'vscode';
import { NodeExecutor, queueNode, searchSettings, threadsPerSlot, type NodeOutcome, type NodeStatus } from '../../engine';
import type { ExperimentSession } from '../experiments/experimentSession';
import { readSettings } from '../settings';
import { createBackendFor } from './backendFor';

export interface ManualRunHooks {
  /** The node is running (its first stage started): log panes can follow it. */
  onStarted?(session: ExperimentSession, id: string): void;
}

export class NodeRunner implements vscode.Disposable {
  private readonly runs = new Map<string, { controller: AbortController; done: Promise<void> }>();

  constructor(private readonly hooks: ManualRunHooks = {}) {}

  isActive(session: ExperimentSession): boolean {
    for (const key of this.runs.keys()) if (key.startsWith(session.dir + '\0')) return true;
    return false;
  }

  /** Validates the node's files, starts it, and returns once it runs; progress shows in a notification. */
  async run(session: ExperimentSession, id: string): Promise<void> {
    const key = `${session.dir}\0${id}`;
    if (this.runs.has(key)) throw new Error(`${id} is already running`);
    const node = session.experiment.tree.get(id);
    if (node.status === 'running') throw new Error(`${id} is already running in the search`);
    const release = session.acquireLock();
    const controller = new AbortController();
    let done: Promise<void>;
    try {
      const exp = session.experiment;
      const settings = readSettings(vscode.Uri.file(session.dir));
      const backend = await createBackendFor(session, settings, 1);
      const executor = new NodeExecutor(exp, backend, { reuse: searchSettings(exp.spec).reuse, threads: threadsPerSlot(1), onProgress: (p) => session.reportProgress(p) });
      queueNode(exp, id); // validates recipe.yaml and train.yaml (SpecError with lines) and queues the node
      const outcome = executor.run(id, controller.signal); // synchronously marks it running
      session.setModified(id, false);
      done = this.track(session, id, outcome, controller).finally(async () => {
        this.runs.delete(key);
        release();
        await backend.close().catch(() => undefined);
      });
    } catch (e) {
      release();
      throw e;
    }
    this.runs.set(key, { controller, done });
    this.hooks.onStarted?.(session, id);
  }

  cancel(session: ExperimentSession, id?: string): void {
    for (const [key, run] of this.runs) {
      if (key.startsWith(session.dir + '\0') && (id === undefined || key.endsWith('\0' + id))) run.controller.abort();
    }
  }

  async whenIdle(session: ExperimentSession): Promise<void> {
    await Promise.all([...this.runs.entries()].filter(([k]) => k.startsWith(session.dir + '\0')).map(([, r]) => r.done));
  }

  private track(session: ExperimentSession, id: string, outcome: Promise<NodeOutcome>, controller: AbortController): Promise<void> {
    return Promise.resolve(
      vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `TREX: running ${id}`, cancellable: true }, async (progress, token) => {
        token.onCancellationRequested(() => controller.abort());
        const sub = session.onDidProgress((p) => {
          if (p.nodeId !== id) return;
          const step = p.step !== undefined && p.total !== undefined ? ` step ${p.step}/${p.total}` : '';
          const loss = p.loss !== undefined ? ` loss ${p.loss.toFixed(4)}` : '';
          progress.report({ message: `${p.stage}${step}${loss}` });
        });
        try {
          const result = await outcome;
          if (result === 'interrupted') {
            const status: NodeStatus = 'cancelled';
            session.experiment.emit({ type: 'node_status', id, status, reason: 'cancelled by the user' });
          }
          this.report(session, id, result);
        } finally {
          sub.dispose();
        }
      }),
    );
  }

  private report(session: ExperimentSession, id: string, result: NodeOutcome): void {
    const n = session.experiment.tree.nodes.get(id);
    if (result === 'succeeded' && n?.result) {
      void vscode.window.showInformationMessage(`TREX: ${id} finished — ${session.experiment.spec.metric.name} ${n.result.score.toFixed(4)}${n.result.reusedFrom ? ` (same config as ${n.result.reusedFrom}, result reused)` : ''}`);
    } else if (result === 'failed' && n?.failure) {
      void vscode.window.showErrorMessage(`TREX: ${id} failed in ${n.failure.stage}: ${n.failure.reason.split('\n')[0]}`, 'Show Log').then((pick) => {
        if (pick) void vscode.commands.executeCommand('trex.openStageLog', { experimentDir: session.dir, id });
      });
    }
  }

  dispose(): void {
    for (const r of this.runs.values()) r.controller.abort();
  }
}
