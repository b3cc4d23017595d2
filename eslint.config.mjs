// Layer rules the build enforces (run by `npm run lint`, part of `npm test`):
//   engine   — Node only; never vscode, the extension, the CLI or the webview.
//   cli      — the engine's public surface; never vscode or the extension.
//   webview  — browser only; never Node built-ins, vscode or the engine; only its own files.
//   extension— the engine's public surface (src/engine, src/engine/llm), the webview's protocol types.
//   fixtures — data and specs the tests and the benchmarks share: the engine's public surface only,
//              never test/ or bench/ (so neither reaches into the other for them).
// Inside the engine, the framework renderers (engine/frameworks) only turn a spec into files and
// commands: they do not reach into the experiment folder, the tree or the search.
import tsParser from '@typescript-eslint/parser';

const NODE_BUILTINS = ['node:*', 'fs', 'path', 'os', 'child_process', 'net', 'http', 'https', 'crypto', 'url', 'util', 'stream', 'events'];
const vscode = { name: 'vscode', message: 'only src/extension may import vscode' };
const restricted = (patterns, paths = []) => ['error', { paths, patterns }];

export default [
  { ignores: ['out/**', 'dist/**', 'node_modules/**', '.venv-trainer/**', 'media/**', '**/*.js', '**/*.mjs'] },
  {
    files: ['**/*.ts'],
    languageOptions: { parser: tsParser, ecmaVersion: 2022, sourceType: 'module' },
  },
  {
    files: ['src/engine/**/*.ts'],
    rules: {
      'no-restricted-imports': restricted(
        [{ group: ['**/extension/**', '**/cli/**', '**/webview/**', '**/cli', '**/extension'], message: 'the engine does not depend on its shells or the webview' }],
        [vscode],
      ),
    },
  },
  {
    files: ['src/engine/frameworks/**/*.ts'],
    rules: {
      'no-restricted-imports': restricted(
        [
          { group: ['**/extension/**', '**/cli/**', '**/webview/**'], message: 'the engine does not depend on its shells or the webview' },
          { group: ['../experiment', '../tree/**', '../search/**', '../executor/**', '../backends/**', '../llm/**'], message: 'framework renderers turn a spec into files and commands; they do not reach into the experiment, tree, search or backends' },
        ],
        [vscode],
      ),
    },
  },
  {
    files: ['src/cli/**/*.ts'],
    rules: {
      'no-restricted-imports': restricted(
        [
          { group: ['**/extension/**', '**/webview/**'], message: 'the CLI is a shell over the engine only' },
          { group: ['**/engine/*/**', '!**/engine/llm'], message: "import the engine's public surface (src/engine or src/engine/llm), not its internals" },
        ],
        [vscode],
      ),
    },
  },
  {
    files: ['src/extension/**/*.ts'],
    rules: {
      'no-restricted-imports': restricted([
        { group: ['**/engine/*/**', '!**/engine/llm'], message: "import the engine's public surface (src/engine or src/engine/llm), not its internals" },
        { group: ['**/webview/*', '!**/webview/protocol'], message: "the extension shares only the webview's protocol types" },
        { group: ['**/cli/**'], message: 'the extension does not depend on the CLI' },
      ]),
    },
  },
  {
    files: ['fixtures/**/*.ts'],
    rules: {
      'no-restricted-imports': restricted(
        [
          { group: ['**/test/**', '**/bench/**'], message: 'fixtures are shared by the tests and the benchmarks and depend on neither' },
          { group: ['**/engine/*/**', '!**/engine/llm', '**/extension/**', '**/cli/**', '**/webview/**'], message: "fixtures use the engine's public surface (src/engine or src/engine/llm) only" },
        ],
        [vscode],
      ),
    },
  },
  {
    files: ['bench/**/*.ts'],
    rules: {
      'no-restricted-imports': restricted([{ group: ['**/test/helpers/**', '**/test/engine/frameworks/**'], message: 'a fixture the benchmarks share with the tests lives in fixtures/' }]),
    },
  },
  {
    files: ['webview/**/*.ts'],
    rules: {
      'no-restricted-imports': restricted([{ group: ['../*', '**/src/**'], message: 'the webview imports only its own files' }, ...NODE_BUILTINS.map((n) => ({ group: [n], message: 'the webview runs in a browser: no Node built-ins' }))], [
        { name: 'vscode', message: 'the webview talks to the host through acquireVsCodeApi and the protocol, never the vscode module' },
      ]),
    },
  },
];
