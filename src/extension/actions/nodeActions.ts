// What a user does to a node, shared by the palette, the tree view's menus and the panel:
// each validates, changes the experiment through the engine, and opens what the user needs next.
import { join } from 'node:path';
import * as vscode from 'vscode';
import { approveNode, configHash, diffConfigs, exportNode, forkNode, NODE_FILES, rejectNode, setPruned, SpecError, type StageName } from '../../engine';
import type { NodeFile } from '../../../webview/protocol';
import type { ExperimentSession } from '../experiments/experimentSession';
import { ranConfig, revertEdits } from '../experiments/ranConfig';
import { currentStage, logTitle, stageLogPath } from '../logs/stageLogs';
import type { Services } from '../services';
import { ConfigDocumentProvider } from '../views/configDocumentProvider';

/** A new draft child with the node's files; recipe.yaml opens for editing. */
export async function forkAndOpen(s: Services, session: ExperimentSession, id: string): Promise<string> {
  session.assertWritable();
  const newId = forkNode(session.experiment, id);
  s.selection.current = { experimentDir: session.dir, id: newId };
  const exp = session.experiment;
  await vscode.window.showTextDocument(vscode.Uri.file(exp.nodePath(newId, NODE_FILES.train)), { preview: false, preserveFocus: true, viewColumn: s.sideColumn() });
  await vscode.window.showTextDocument(vscode.Uri.file(exp.nodePath(newId, NODE_FILES.recipe)), { preview: false, viewColumn: s.sideColumn() });
  void vscode.window.showInformationMessage(`TREX: ${newId} is a draft fork of ${id}. Edit its recipe.yaml / train.yaml, then run it.`, 'Run Now').then((pick) => {
    if (pick) void runNodeAction(s, session, newId);
  });
  return newId;
}

/** Runs (or re-runs) a node now; its stage logs open and follow the run. Problems go to the Problems panel. */
export async function runNodeAction(s: Services, session: ExperimentSession, id: string): Promise<void> {
  try {
    await s.runner.run(session, id);
  } catch (e) {
    if (e instanceof SpecError) {
      const byFile = new Map<string, typeof e.problems>();
      for (const p of e.problems) {
        const file = join(session.dir, p.file);
        byFile.set(file, [...(byFile.get(file) ?? []), p]);
      }
      for (const [file, problems] of byFile) s.diagnostics.report(file, problems);
      const first = [...byFile.keys()][0];
      const pick = await vscode.window.showErrorMessage(`TREX: ${id} was not run: its files have errors (see the Problems panel).`, 'Open File');
      if (pick && first) await vscode.window.showTextDocument(vscode.Uri.file(first));
      return;
    }
    throw e;
  }
}

export function setPrunedAction(s: Services, session: ExperimentSession, id: string, pruned: boolean): void {
  session.assertWritable();
  setPruned(session.experiment, id, pruned);
  s.searches.poke(session);
}

export function approveAction(s: Services, session: ExperimentSession, id: string): void {
  session.assertWritable();
  approveNode(session.experiment, id);
  s.searches.poke(session);
}

export function rejectAction(s: Services, session: ExperimentSession, id: string): void {
  session.assertWritable();
  rejectNode(session.experiment, id);
  s.searches.poke(session);
}

/**
 * A node edited after it ran becomes a fork: a new child with the edited files, which runs now,
 * while the node's own files go back to what it ran with (when that can be recovered).
 */
export async function runAsFork(s: Services, session: ExperimentSession, id: string): Promise<string> {
  session.assertWritable();
  const exp = session.experiment;
  const edited = exp.readNodeConfig(id);
  const original = ranConfig(exp, id);
  const plan = exp.readText(join('nodes', id, NODE_FILES.plan)) ?? '';
  const reverted = original ? revertEdits(edited, original) : undefined;
  const restored = reverted && configHash(exp.spec, reverted) === exp.tree.get(id).configHash ? reverted : undefined;
  const changes = restored ? diffConfigs(restored, edited).map((c) => ({ path: c.path, from: c.from, to: c.to })) : [];
  const childId = exp.createNode({ parent: id, origin: 'fork', title: `edit of ${id}`, plan, config: edited, changes, status: 'draft' });
  if (restored) {
    exp.writeNodeFiles(id, plan, restored);
    session.setModified(id, false);
  } else {
    void vscode.window.showWarningMessage(`TREX: could not recover the files ${id} ran with; it stays marked as modified.`);
  }
  await runNodeAction(s, session, childId);
  return childId;
}

export async function openNodeFile(s: Services, session: ExperimentSession, id: string, file: NodeFile): Promise<void> {
  const exp = session.experiment;
  exp.tree.get(id);
  if (file === 'folder') {
    const uri = vscode.Uri.file(exp.nodeDir(id));
    const inWorkspace = vscode.workspace.getWorkspaceFolder(uri) !== undefined;
    if (inWorkspace) await vscode.commands.executeCommand('revealInExplorer', uri);
    else await vscode.window.showTextDocument(vscode.Uri.file(exp.nodePath(id, NODE_FILES.plan)));
    return;
  }
  await vscode.window.showTextDocument(vscode.Uri.file(exp.nodePath(id, NODE_FILES[file])), { preview: false, viewColumn: s.sideColumn() });
}

export async function openStageLog(s: Services, session: ExperimentSession, id: string, stage?: StageName): Promise<void> {
  const exp = session.experiment;
  const st = stage ?? currentStage(exp, id);
  await s.logs.open(stageLogPath(exp, id, st), logTitle(id, st), { viewColumn: s.sideColumn() });
  if (exp.tree.get(id).status === 'running' && !stage) s.follower.follow(session, id);
}

/** Side-by-side diff of two nodes' recipe.yaml + train.yaml. */
export async function compareNodes(session: ExperimentSession, left: string, right: string): Promise<void> {
  session.experiment.tree.get(left);
  session.experiment.tree.get(right);
  await vscode.commands.executeCommand(
    'vscode.diff',
    ConfigDocumentProvider.uriFor(session.dir, left),
    ConfigDocumentProvider.uriFor(session.dir, right),
    `${left} ↔ ${right} (recipe + train)`,
  );
}

/** Exports the node as a self-contained bundle (trex export) into a new folder the user picks a parent for. */
export async function exportNodeAction(session: ExperimentSession, id: string): Promise<string | undefined> {
  const exp = session.experiment;
  const node = exp.tree.get(id);
  const picked = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, canSelectMany: false, openLabel: 'Export Here', title: `Export ${id} (${node.title}) into a new folder under…` });
  if (!picked?.[0]) return undefined;
  const out = join(picked[0].fsPath, `${exp.spec.name}-${id}`);
  const r = exportNode(exp, id, out);
  const open = 'Open README';
  const answer = await vscode.window.showInformationMessage(`TREX: exported ${id} (${r.framework}) to ${r.dir}. Run its run.sh to reproduce it without TREX.`, open);
  if (answer === open) await vscode.window.showTextDocument(vscode.Uri.file(join(r.dir, 'README.md')));
  return r.dir;
}
