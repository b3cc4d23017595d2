// A node's files changed on disk. For a node that already ran (or is running), an edit of its
// recipe, train config or plan means its result no longer matches its files: the views mark it
// modified and the user is offered to run the edit as a fork. Edits of drafts and queued nodes are
// the normal way to prepare them and only get validated.
import { basename } from 'node:path';
import * as vscode from 'vscode';
import { configHash, NODE_FILES } from '../../engine';
import { runAsFork, runNodeAction } from '../actions/nodeActions';
import type { ExperimentSession } from '../experiments/experimentSession';
import { TreePanel } from '../panel/treePanel';
import type { Services } from '../services';

const RAN = new Set(['succeeded', 'failed', 'cancelled', 'stopped', 'running']);

export function onNodeFileChanged(s: Services, session: ExperimentSession, id: string, fsPath: string): void {
  const node = session.experiment.tree.nodes.get(id);
  const file = basename(fsPath);
  if (!node) return; // files are written before the node_created event
  s.configDocs.nodeChanged(session.dir, id);
  const panel = TreePanel.instance;
  if (panel?.experimentDir === session.dir) panel.post('nodeFilesChanged', { id });
  let edited: boolean;
  if (file === NODE_FILES.plan) {
    edited = true;
  } else {
    if (s.diagnostics.checkFile(fsPath).length > 0) return; // invalid: the Problems panel says why
    try {
      edited = configHash(session.experiment.spec, session.experiment.readNodeConfig(id)) !== node.configHash;
    } catch {
      return; // the other file of the pair is invalid; its own check reports it
    }
  }
  if (!RAN.has(node.status)) return;
  const wasModified = session.isModified(id);
  if (file !== NODE_FILES.plan || edited) session.setModified(id, edited);
  if (edited && !wasModified) offerFork(s, session, id, file);
}

function offerFork(s: Services, session: ExperimentSession, id: string, file: string): void {
  void vscode.window.showInformationMessage(`TREX: ${id}'s ${file} was edited after it ran. Run the edit as a new fork of ${id}?`, 'Run as Fork', 'Re-run in Place').then(async (pick) => {
    try {
      if (pick === 'Run as Fork') await runAsFork(s, session, id);
      else if (pick === 'Re-run in Place') await runNodeAction(s, session, id);
    } catch (e) {
      void vscode.window.showErrorMessage(`TREX: ${(e as Error).message}`);
    }
  });
}
