// Node commands for the palette and the tree view's context menu.
import type * as vscode from 'vscode';
import { STAGES, type StageName } from '../../engine';
import { approveAction, compareNodes, exportNodeAction, forkAndOpen, openNodeFile, openStageLog, rejectAction, runAsFork, runNodeAction, setPrunedAction } from '../actions/nodeActions';
import type { Services } from '../services';
import { pickNode } from './args';
import { registerGuarded } from './guarded';

export function registerNodeCommands(s: Services): vscode.Disposable[] {
  return [
    registerGuarded(s, 'trex.runNode', async (arg) => {
      const t = await pickNode(s, arg, 'Run (or re-run) which node?', (n) => n.status !== 'running');
      if (t) await runNodeAction(s, t.session, t.id);
    }),
    registerGuarded(s, 'trex.forkNode', async (arg) => {
      const t = await pickNode(s, arg, 'Fork which node?');
      if (t) return forkAndOpen(s, t.session, t.id);
      return undefined;
    }),
    registerGuarded(s, 'trex.runAsFork', async (arg) => {
      const t = await pickNode(s, arg, 'Run the edits of which node as a new fork?');
      if (t) return runAsFork(s, t.session, t.id);
      return undefined;
    }),
    registerGuarded(s, 'trex.pruneNode', async (arg) => {
      const t = await pickNode(s, arg, 'Prune which subtree?', (n) => !n.pruned);
      if (t) setPrunedAction(s, t.session, t.id, true);
    }),
    registerGuarded(s, 'trex.unpruneNode', async (arg) => {
      const t = await pickNode(s, arg, 'Restore which pruned subtree?', (n) => n.pruned);
      if (t) setPrunedAction(s, t.session, t.id, false);
    }),
    registerGuarded(s, 'trex.approveNode', async (arg) => {
      const t = await pickNode(s, arg, 'Approve which proposal?', (n) => n.status === 'awaiting_approval');
      if (t) approveAction(s, t.session, t.id);
    }),
    registerGuarded(s, 'trex.rejectNode', async (arg) => {
      const t = await pickNode(s, arg, 'Reject which proposal?', (n) => n.status === 'awaiting_approval' || n.status === 'draft');
      if (t) rejectAction(s, t.session, t.id);
    }),
    registerGuarded(s, 'trex.openNodeFolder', async (arg) => {
      const t = await pickNode(s, arg, 'Open the folder of which node?');
      if (t) await openNodeFile(s, t.session, t.id, 'folder');
    }),
    registerGuarded(s, 'trex.exportNode', async (arg) => {
      const t = await pickNode(s, arg, 'Export which node as a bundle that reproduces it without TREX?');
      if (t) return exportNodeAction(t.session, t.id);
      return undefined;
    }),
    registerGuarded(s, 'trex.openNodePlan', async (arg) => {
      const t = await pickNode(s, arg, 'Open the plan of which node?');
      if (t) await openNodeFile(s, t.session, t.id, 'plan');
    }),
    registerGuarded(s, 'trex.openStageLog', async (arg, stageArg) => {
      const t = await pickNode(s, arg, 'Show the log of which node?');
      if (!t) return;
      const stage = typeof stageArg === 'string' && STAGES.includes(stageArg as StageName) ? (stageArg as StageName) : undefined;
      await openStageLog(s, t.session, t.id, stage);
    }),
    registerGuarded(s, 'trex.compareNodes', async (arg, multi) => {
      // From the tree view with two nodes selected, VS Code passes (clicked, allSelected).
      const selected = Array.isArray(multi) ? multi : [];
      const first = await pickNode(s, selected[0] ?? arg, 'Compare which node…');
      if (!first) return;
      const second = selected[1] !== undefined ? await pickNode(s, selected[1], '') : await pickNode(s, { experimentDir: first.session.dir }, `…with which node? (${first.id} is on the left)`, (n) => n.id !== first.id);
      if (second) await compareNodes(first.session, first.id, second.id);
    }),
  ];
}
