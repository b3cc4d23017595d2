// New experiment: from an example task (copied into a new folder), or from a requirement in
// words (LLM analysis). The new experiment opens in the tree view and the panel.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { initExperiment, initFromExample, listExamples, readExample, SPEC_FILE } from '../../engine';
import { TreePanel } from '../panel/treePanel';
import { analyzeRequirement, RequirementAnalysisUnavailable } from '../search/requirementAnalyst';
import { readSettings } from '../settings';
import type { Services } from '../services';
import { registerGuarded } from './guarded';

/** Options tests pass to skip the prompts. */
interface NewExperimentArgs {
  example?: string;
  folder?: string;
}

/** Where the new trex.yaml comes from. */
interface SpecSource {
  /** Names the default folder. */
  name: string;
  text: string;
  /** Shown in validation errors. */
  fileName: string;
  /** The example it was read from: its data files are copied too. */
  example?: string;
}

function exampleSource(example: string): SpecSource {
  // The default folder is named after the task, not its group (ft-bench/sst2 -> sst2).
  return { name: example.split('/').pop() ?? example, example, ...readExample(example) };
}

export function registerNewExperimentCommand(s: Services): vscode.Disposable {
  return registerGuarded(s, 'trex.newExperiment', async (argsArg) => {
    const args = (typeof argsArg === 'object' && argsArg !== null ? argsArg : {}) as NewExperimentArgs;
    const source = args.example ? exampleSource(args.example) : await pickSource(s);
    if (!source) return undefined;
    const folder = args.folder ?? (await pickFolder(source.name));
    if (!folder) return undefined;
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `TREX: creating ${folder}` }, async () =>
      source.example ? initFromExample(folder, source.example) : initExperiment(folder, source.text, source.fileName),
    );
    const session = s.registry.open(folder);
    s.registry.setActive(session);
    TreePanel.show(s, session);
    await vscode.window.showTextDocument(vscode.Uri.file(join(folder, SPEC_FILE)), { preview: false, viewColumn: s.sideColumn() });
    void vscode.window.showInformationMessage(`TREX: created ${session.name}. Review trex.yaml, then start the search.`, 'Start Search').then((pick) => {
      if (pick) void vscode.commands.executeCommand('trex.startSearch', { experimentDir: session.dir });
    });
    return folder;
  });
}

/** An example to copy, or a requirement for the LLM analysis (which may send us back to the examples). */
async function pickSource(s: Services): Promise<SpecSource | undefined> {
  const examples = listExamples();
  const items: (vscode.QuickPickItem & { example?: string; requirement?: true })[] = [
    { label: '$(sparkle) From a requirement…', description: 'describe the task in words; an LLM drafts trex.yaml', requirement: true },
    { label: 'Examples', kind: vscode.QuickPickItemKind.Separator },
    ...examples.map((e) => ({ label: `$(beaker) ${e.name}`, description: e.summary, example: e.name })),
  ];
  const pick = await vscode.window.showQuickPick(items, { placeHolder: 'Start a new TREX experiment from…' });
  if (!pick) return undefined;
  if (pick.example) return exampleSource(pick.example);
  const requirement = await vscode.window.showInputBox({ title: 'TREX: what should the fine-tuned model do?', prompt: 'For example: "extract dates from support emails as ISO 8601"', ignoreFocusOut: true });
  if (!requirement) return undefined;
  try {
    const text = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'TREX: analysing the requirement…' }, () => analyzeRequirement(requirement, readSettings(), s.apiKeys));
    return { name: 'requirement', text, fileName: SPEC_FILE };
  } catch (e) {
    if (!(e instanceof RequirementAnalysisUnavailable)) throw e;
    const actions = e.reason === 'no-llm' ? ['Use an Example', 'Set API Key', 'Open Settings'] : ['Use an Example'];
    const choice = await vscode.window.showWarningMessage(`TREX: ${e.message}. Start from an example task instead?`, ...actions);
    if (choice === 'Set API Key') await vscode.commands.executeCommand('trex.setApiKey');
    if (choice === 'Open Settings') await vscode.commands.executeCommand('workbench.action.openSettings', 'trex.llm');
    if (choice !== 'Use an Example') return undefined;
    const ex = await vscode.window.showQuickPick(
      examples.map((x) => ({ label: x.name, description: x.summary })),
      { placeHolder: 'Example task' },
    );
    return ex ? exampleSource(ex.label) : undefined;
  }
}

async function pickFolder(example: string): Promise<string | undefined> {
  const ws = vscode.workspace.workspaceFolders?.[0];
  let parent = ws?.uri.fsPath;
  if (!parent) {
    const picked = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, openLabel: 'Create the experiment here' });
    parent = picked?.[0]?.fsPath;
    if (!parent) return undefined;
  }
  const base = parent;
  const name = await vscode.window.showInputBox({
    title: 'TREX: new experiment folder',
    value: `${example}-experiment`,
    validateInput: (v) => (!/^[A-Za-z0-9._-]+$/.test(v) ? 'letters, digits, . _ - only' : existsSync(join(base, v)) ? 'that folder exists already' : undefined),
  });
  return name ? join(base, name) : undefined;
}
