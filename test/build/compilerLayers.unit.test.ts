// The layers are also enforced by the compiler: each part's tsconfig.json gives it only the libraries
// it may use. A browser API planted in the engine or the CLI, or a Node API planted in the webview,
// fails that part's compile; the same code compiles in the part where it belongs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { join } from 'node:path';
import ts from 'typescript';
import { ROOT } from '../helpers/cli';

/** Type errors of `files` (path relative to the part's folder → source) compiled with that part's own tsconfig.json. */
function compileErrors(part: string, files: Record<string, string>): Record<string, string[]> {
  const dir = join(ROOT, part);
  const read = ts.readConfigFile(join(dir, 'tsconfig.json'), (p) => ts.sys.readFile(p));
  assert.equal(read.error, undefined, `${part}/tsconfig.json reads`);
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, dir);
  const options = { ...parsed.options, noEmit: true, composite: false, incremental: false };
  const planted = new Map(Object.entries(files).map(([name, code]) => [join(dir, name), code]));
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.fileExists = (p) => planted.has(p) || fileExists.call(host, p);
  host.readFile = (p) => planted.get(p) ?? readFile.call(host, p);
  host.getSourceFile = (p, lang, ...rest) => {
    const code = planted.get(p);
    return code === undefined ? getSourceFile.call(host, p, lang, ...rest) : ts.createSourceFile(p, code, lang);
  };
  const program = ts.createProgram([...planted.keys()], options, host);
  const errors: Record<string, string[]> = {};
  for (const [path] of planted) {
    const sf = program.getSourceFile(path);
    assert.ok(sf, `${path} is part of the program`);
    const diags = [...program.getSemanticDiagnostics(sf), ...program.getSyntacticDiagnostics(sf)];
    errors[path.slice(dir.length + 1)] = diags.map((d) => `TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
  }
  return errors;
}

const browserOnly = 'export const title: string = document.title;\n';
const nodeOnly = "import { readFileSync } from 'node:fs';\nexport const cwd: string = process.cwd();\nexport const read = readFileSync;\n";

for (const part of ['src/engine', 'src/cli']) {
  test(`${part} compiles Node code and refuses the DOM`, () => {
    const errors = compileErrors(part, { 'plantedDom.ts': browserOnly, 'plantedNode.ts': nodeOnly });
    assert.deepEqual(errors['plantedNode.ts'], []);
    assert.ok(errors['plantedDom.ts'].some((m) => m.includes("Cannot find name 'document'")), JSON.stringify(errors['plantedDom.ts']));
  });
}

test('webview compiles DOM code and refuses Node', () => {
  const errors = compileErrors('webview', { 'plantedDom.ts': browserOnly, 'plantedNode.ts': nodeOnly });
  assert.deepEqual(errors['plantedDom.ts'], []);
  const found = errors['plantedNode.ts'];
  assert.ok(found.some((m) => m.includes("Cannot find module 'node:fs'")), JSON.stringify(found));
  assert.ok(found.some((m) => m.includes("Cannot find name 'process'")), JSON.stringify(found));
});
