// Asks once per folder, in a modal, before a search uses an experiment folder's LLM endpoint or
// Executor permissions; consent goes to the same trusted-folders store as the CLI's
// --trust-folder-llm. A refusal is remembered for this window, so the prompt does not nag. The
// prompt is a parameter only so the extension-host tests can answer it: VS Code refuses to show
// modals while an extension test runs.
import * as vscode from 'vscode';
import type { TaskSpec } from '../../engine';
import { folderConsentNeeded, recordFolderConsent } from '../../engine/llm';
import { ALLOW_FOLDER, folderConsentText, IGNORE_FOLDER } from './folderConsentText';

const declined = new Set<string>();

/** Shows the question and returns the button picked (undefined: dismissed). */
export type ConsentPrompt = (message: string, detail: string, buttons: [string, string]) => Thenable<string | undefined>;

const modal: ConsentPrompt = (message, detail, buttons) => vscode.window.showWarningMessage(message, { modal: true, detail }, ...buttons);

export async function askFolderConsent(spec: TaskSpec, dir: string, prompt: ConsentPrompt = modal): Promise<void> {
  const req = folderConsentNeeded(spec, dir, process.env);
  if (!req || declined.has(dir)) return;
  const { message, detail } = folderConsentText(dir, req);
  const pick = await prompt(message, detail, [ALLOW_FOLDER, IGNORE_FOLDER]);
  if (pick === ALLOW_FOLDER) recordFolderConsent(spec, dir, process.env);
  else declined.add(dir);
}
