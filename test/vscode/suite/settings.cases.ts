// Settings and setup commands: the API key in SecretStorage, compute hosts from an ssh config,
// a new experiment from an example.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestCase } from './harness';
import { waitFor } from './harness';
import type { ExtTestContext } from './context';

export const settingsCases: TestCase<ExtTestContext>[] = [
  {
    name: 'Set LLM API Key stores the key in SecretStorage only',
    run: async ({ vscode, api }) => {
      await vscode.commands.executeCommand('trex.setApiKey', 'sk-test-123');
      assert.equal(await api.services.apiKeys.get(), 'sk-test-123');
      const inspected = JSON.stringify(vscode.workspace.getConfiguration('trex'));
      assert.doesNotMatch(inspected, /sk-test-123/, 'never in settings');
      await vscode.commands.executeCommand('trex.setApiKey', '');
      assert.equal(await api.services.apiKeys.get(), undefined);
    },
  },
  {
    name: 'compute hosts come from ~/.ssh/config; patterns are not hosts',
    run: async () => {
      // Loaded here, inside the extension host, because the module imports vscode.
      const { sshHosts } = await import('../../../src/extension/commands/computeHost');
      const hosts = sshHosts('Host gpu-box\n  HostName 10.0.0.5\n  User me\n\nHost *.internal !bad\n  User x\n\nHost a100 h100\n  Port 2222\n');
      assert.deepEqual(hosts, ['gpu-box', 'a100', 'h100']);
    },
  },
  {
    name: 'New Experiment from an example creates the folder and opens it in the views',
    run: async ({ vscode, api }) => {
      const { listExamples } = await import('../../../src/engine/examples');
      const examples = listExamples();
      assert.ok(examples.length > 0, 'examples are packaged');
      assert.ok(examples.some((e) => e.name.startsWith('ft-bench/')), 'the FT-Bench tasks are listed as in `trex examples`');
      const folder = join(mkdtempSync(join(tmpdir(), 'trex-new-')), 'exp');
      const created = await vscode.commands.executeCommand<string>('trex.newExperiment', { example: examples[0].name, folder });
      assert.equal(created, folder);
      assert.ok(existsSync(join(folder, 'trex.yaml')) && readdirSync(folder).includes('guidance.md'));
      const session = await waitFor('the new experiment session', () => api.services.registry.get(folder));
      assert.equal(api.services.registry.active, session, 'it becomes the active experiment');
      assert.equal(api.panel()?.experimentDir, folder, 'the panel shows it');
    },
  },
];
