// What the editor's settings and stored key ask of a search, as the engine's request
// (openSearchSession decides the rest exactly as it does for `trex run`). No vscode import:
// the test that compares it with the CLI's translation runs without an editor.
import type { SearchSessionRequest } from '../../engine';
import type { TrexSettings } from '../settings';
import { llmSettingsFrom } from './llmOverrides';
import { computeOverrides } from './computeOverrides';

export function searchRequestFromSettings(settings: TrexSettings, storedApiKey: string | undefined, dir: string, env: NodeJS.ProcessEnv): SearchSessionRequest {
  return {
    backend: settings.computeBackend || undefined,
    compute: computeOverrides(settings),
    parallel: settings.parallelSlots > 0 ? settings.parallelSlots : undefined,
    env,
    llm: { apiKey: storedApiKey || undefined, dir, settings: llmSettingsFrom(settings) },
    policy: settings.defaultPolicy || undefined,
    // The panel keeps the search alive while nodes wait for the user's approval.
    waitForApproval: true,
    preflight: true,
    tracking: settings.tracking,
  };
}
