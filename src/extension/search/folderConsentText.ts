// The words of the editor's consent prompt for an experiment folder's endpoint / Executor
// settings (what the CLI's --trust-folder-llm grants). No vscode import: testable in node.
import type { FolderConsentRequest } from '../../engine/llm';

export const ALLOW_FOLDER = 'Allow for this folder';
export const IGNORE_FOLDER = 'Ignore these settings';

export function folderConsentText(dir: string, req: FolderConsentRequest): { message: string; detail: string } {
  const lines = Object.entries(req.settings).map(([k, v]) => `• ${k}: ${JSON.stringify(v).slice(0, 200)}`);
  return {
    message: `This experiment folder sets where your LLM API key is sent or what the Executor may run.`,
    detail:
      `${dir}\n(from ${req.sources.join(', ')})\n\n${lines.join('\n')}\n\n` +
      `Allow only if you trust whoever wrote this folder. Your answer is stored outside the folder; ` +
      `a change to these settings asks again. Ignored settings fall back to your own (settings, environment).`,
  };
}
