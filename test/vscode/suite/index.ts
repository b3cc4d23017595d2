// extensionTestsPath module: VS Code calls run() inside its extension host once the workbench is
// up. It activates TREX, runs the cases in order, and rejects if any failed (exit code 1).
import type * as vscodeTypes from 'vscode';
import { join } from 'node:path';
import type { TrexApi } from '../../../src/extension/extension';
import { activationCases } from './activation.cases';
import { consentCases } from './consent.cases';
import { EXTENSION_ID, type ExtTestContext } from './context';
import { filesCases } from './files.cases';
import { runCases, waitFor } from './harness';
import { searchFlowCases } from './searchFlow.cases';
import { settingsCases } from './settings.cases';

export async function run(): Promise<void> {
  // Required here, not imported: under plain Node (node --test) this module must load without vscode.
  const vscode = require('vscode') as typeof vscodeTypes;
  const workspace = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  if (!workspace) throw new Error('the tests need a workspace folder');
  const ext = vscode.extensions.getExtension<TrexApi>(EXTENSION_ID);
  if (!ext) throw new Error(`extension ${EXTENSION_ID} not found`);
  // workspaceContains:**/trex.yaml activates it; wait for that rather than forcing it.
  await waitFor('activation by workspaceContains', () => ext.isActive, 30_000).catch(() => undefined);
  const api = ext.isActive ? ext.exports : await ext.activate();
  const ctx: ExtTestContext = { vscode, api, workspace, experimentDir: process.env.TREX_TEST_EXPERIMENT ?? join(workspace, 'micro-addition'), found: {} };
  // TREX_TEST_CASES (a regular expression over case names) runs only some cases, for a focused run.
  const only = process.env.TREX_TEST_CASES ? new RegExp(process.env.TREX_TEST_CASES) : undefined;
  const cases = [...activationCases, ...searchFlowCases, ...filesCases, ...settingsCases, ...consentCases].filter((c) => !only || only.test(c.name));
  const results = await runCases(cases, ctx, process.env.TREX_TEST_REPORT);
  const failed = results.filter((r) => !r.ok);
  if (failed.length) throw new Error(`${failed.length} of ${results.length} extension tests failed: ${failed.map((f) => f.name).join('; ')}`);
}
