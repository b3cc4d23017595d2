// TREX inside a real VS Code, offline: code-server (VS Code 1.139 server + web workbench) is
// installed from npm into .vscode-test/ if missing, then a child process — inside a loopback-only
// network namespace when `unshare -n` works — runs the extension's test module in the extension
// host and drives the workbench UI with Playwright and Debian Chromium. Screenshots: test-results/.
//
// Needs: chromium (apt), the npm registry for the first install, a Python with PyTorch
// (TREX_PYTHON, default /usr/bin/python3). TREX_SKIP_VSCODE_TESTS=1 skips it.
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { defaultCacheDir, packageRoot } from '../../src/engine';
import { installCodeServer } from './codeServer';
import { packageVsix } from './packageVsix';
import type { E2EOptions, E2EReport } from './e2e';
import { CHROMIUM } from './workbench';

const REPO = packageRoot();
const CACHE = join(REPO, '.vscode-test');
const SHOTS = join(REPO, 'test-results');
const PYTHON = process.env.TREX_PYTHON ?? '/usr/bin/python3';

function step<T>(name: string, fn: () => T): T {
  const t0 = Date.now();
  const v = fn();
  console.log(`[vscode-test] ${name}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return v;
}

/** The micro model's pretrained base is cached once per machine; pretraining it inside a test would blow its timeouts. */
function ensureBaseModel(): void {
  const cache = defaultCacheDir();
  if (existsSync(join(cache, 'base', 'micro-gpt.pt'))) return;
  execFileSync(PYTHON, [join(REPO, 'trainer', 'trex_micro.py'), 'pretrain', '--cache', cache], { stdio: 'inherit', env: { ...process.env, TREX_THREADS: '2' } });
}

function canUnshareNet(): boolean {
  return spawnSync('unshare', ['-n', 'true']).status === 0;
}

/** Runs the offline part in a child process; loopback-only when a network namespace can be made. */
function runChild(opts: E2EOptions, reportPath: string): Promise<number> {
  const script = `require(${JSON.stringify(join(REPO, 'out/test/vscode/e2e.js'))}).main().catch((e) => { console.error(e); process.exit(1); })`;
  const node = process.execPath;
  const [cmd, args] = canUnshareNet()
    ? ['unshare', ['-n', 'sh', '-c', 'ip link set lo up 2>/dev/null; exec "$0" "$@"', node, '-e', script, JSON.stringify(opts), reportPath]]
    : [node, ['-e', script, JSON.stringify(opts), reportPath]];
  console.log(`[vscode-test] ${cmd === 'unshare' ? 'in a loopback-only network namespace' : 'on the host network (no unshare -n); code-server bound to 127.0.0.1'}`);
  return new Promise((resolve) => {
    const child = spawn(cmd, args as string[], { stdio: 'inherit', env: { ...process.env, TREX_PYTHON: PYTHON } });
    child.on('exit', (code) => resolve(code ?? 1));
  });
}

function pruneOldRuns(runsDir: string, keep: number): void {
  if (!existsSync(runsDir)) return;
  const runs = readdirSync(runsDir).sort();
  for (const r of runs.slice(0, Math.max(0, runs.length - keep))) rmSync(join(runsDir, r), { recursive: true, force: true });
}

test('TREX in a real VS Code (code-server, offline): extension-host suite and the UI flow', { timeout: 25 * 60_000, skip: process.env.TREX_SKIP_VSCODE_TESTS === '1' && 'TREX_SKIP_VSCODE_TESTS=1' }, async (t) => {
  assert.ok(existsSync(CHROMIUM), `no Chromium at ${CHROMIUM}: apt-get install -y chromium`);
  const install = step('install code-server (skipped when cached)', () => installCodeServer(CACHE, REPO));
  step('micro base model (cached after the first run)', ensureBaseModel);
  const runsDir = join(CACHE, 'runs');
  pruneOldRuns(runsDir, 2);
  const runDir = join(runsDir, new Date().toISOString().replace(/[:.]/g, '-'));
  mkdirSync(runDir, { recursive: true });
  mkdirSync(SHOTS, { recursive: true });
  const vsix = step('package the .vsix', () => packageVsix(REPO, runDir));
  const reportPath = join(runDir, 'report.json');
  const t0 = Date.now();
  const code = await runChild({ repo: REPO, runDir, shotsDir: SHOTS, install, vsix, python: PYTHON }, reportPath);
  console.log(`[vscode-test] code-server run: ${((Date.now() - t0) / 1000).toFixed(1)} s (child exit ${code}); run folder ${runDir}`);
  assert.ok(existsSync(reportPath), `no report from the run (exit ${code}); see ${runDir}/server.log`);
  const report = JSON.parse(readFileSync(reportPath, 'utf8')) as E2EReport;
  console.log(`[vscode-test] timings: ${JSON.stringify(report.timings)}`);
  console.log(`[vscode-test] screenshots: ${[report.extSuiteScreenshot, ...report.ui.screenshots].filter(Boolean).join(' ')}`);

  await t.test('extension-host suite', async (tt) => {
    assert.ok(report.extTests.results.length > 0, `no extension tests ran (exit code ${report.extTests.exitCode}); see ${report.serverLog}`);
    for (const r of report.extTests.results) {
      await tt.test(r.name, () => assert.ok(r.ok, r.error));
    }
    assert.equal(report.extTests.exitCode, 0, 'the test module reported success to the workbench');
  });
  await t.test('UI flow', { skip: process.env.TREX_TEST_SKIP_UI === '1' && 'TREX_TEST_SKIP_UI=1' }, async (tt) => {
    for (const s of report.ui.steps) {
      await tt.test(s.name, () => assert.ok(s.ok, s.detail));
    }
    assert.ok(report.ui.steps.length >= 11 && report.ui.steps.every((s) => s.ok), `every UI step passed (${report.ui.steps.length} ran)`);
    assert.ok(report.ui.logGrowth, 'a log tab grew');
    assert.deepEqual(report.ui.outsideRequests, [], 'the browser only talked to 127.0.0.1');
  });
});
