// The layer rules are enforced by the lint (eslint.config.mjs), not by a comment: a planted import
// that crosses a layer fails it, and the tree as committed passes it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { join } from 'node:path';
import { ROOT } from '../helpers/cli';

interface LintMessage { ruleId: string | null; message: string }
interface LintResult { messages: LintMessage[]; errorCount: number; filePath: string }
interface ESLintApi { lintText(code: string, o: { filePath: string }): Promise<LintResult[]>; lintFiles(patterns: string[]): Promise<LintResult[]> }

async function eslint(): Promise<ESLintApi> {
  // ESLint ships as ESM; load it from the project's own node_modules.
  const mod = (await import(join(ROOT, 'node_modules', 'eslint', 'lib', 'api.js'))) as { ESLint: new (o: { cwd: string }) => ESLintApi };
  return new mod.ESLint({ cwd: ROOT });
}

async function violations(file: string, code: string): Promise<string[]> {
  const [r] = await (await eslint()).lintText(code, { filePath: join(ROOT, file) });
  return r.messages.map((m) => `${m.ruleId}: ${m.message}`);
}

const planted: [file: string, code: string, why: RegExp][] = [
  ['src/engine/planted.ts', "import * as vscode from 'vscode';\nexport const x = vscode;\n", /only src\/extension may import vscode/],
  ['src/engine/search/planted.ts', "import { SearchController } from '../../extension/search/searchController';\nexport const x = SearchController;\n", /does not depend on its shells/],
  ['src/engine/frameworks/planted.ts', "import { Experiment } from '../experiment';\nexport const x = Experiment;\n", /framework renderers/],
  ['src/cli/planted.ts', "import * as vscode from 'vscode';\nexport const x = vscode;\n", /only src\/extension may import vscode/],
  ['src/cli/planted.ts', "import { NodeExecutor } from '../engine/executor/executor';\nexport const x = NodeExecutor;\n", /public surface/],
  ['src/extension/planted.ts', "import { NodeExecutor } from '../engine/executor/executor';\nexport const x = NodeExecutor;\n", /public surface/],
  ['webview/planted.ts', "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n", /no Node built-ins/],
  ['webview/planted.ts', "import { Experiment } from '../src/engine';\nexport const x = Experiment;\n", /only its own files/],
  ['fixtures/planted.ts', "import { tempDir } from '../test/helpers/tempDir';\nexport const x = tempDir;\n", /depend on neither/],
  ['bench/planted.ts', "import { tempDir } from '../test/helpers/tempDir';\nexport const x = tempDir;\n", /lives in fixtures/],
];

for (const [file, code, why] of planted) {
  test(`the layer lint refuses ${code.split('\n')[0]} in ${file}`, async () => {
    const found = await violations(file, code);
    assert.ok(found.some((m) => m.startsWith('no-restricted-imports') && why.test(m)), `expected a layer violation, got ${JSON.stringify(found)}`);
  });
}

test('allowed imports pass the layer lint', async () => {
  assert.deepEqual(await violations('src/extension/planted.ts', "import * as vscode from 'vscode';\nimport { Experiment } from '../engine';\nimport { selectProposer } from '../engine/llm';\nimport type { NodeView } from '../../webview/protocol';\nexport const x = [vscode, Experiment, selectProposer] as const;\nexport type Y = NodeView;\n"), []);
  assert.deepEqual(await violations('src/engine/planted.ts', "import { join } from 'node:path';\nexport const x = join;\n"), []);
});

test('the committed tree passes the layer lint', async () => {
  const results = await (await eslint()).lintFiles(['src', 'webview']);
  const errors = results.filter((r) => r.errorCount > 0).map((r) => `${r.filePath}: ${r.messages.map((m) => m.message).join('; ')}`);
  assert.deepEqual(errors, []);
  assert.ok(results.length > 100, `linted the source tree (${results.length} files)`);
});
