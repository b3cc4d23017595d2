// The part of the VS Code test that needs no network: start code-server on 127.0.0.1, run the
// extension's test module inside its extension host, then drive the workbench UI. Run in a child
// process (inside a loopback-only network namespace when possible) by vscode.test.ts, which reads
// the JSON report this writes.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { initExperiment } from '../../src/engine';
import { startCodeServer, type CodeServerInstall } from './codeServer';
import type { CaseResult } from './suite/harness';
import { runUiFlow, type UiFlowResult } from './uiFlow';
import { launchBrowser, openPage, screenshot, waitForWorkbench, workbenchUrl } from './workbench';

export interface E2EOptions {
  repo: string;
  runDir: string;
  shotsDir: string;
  install: CodeServerInstall;
  /** A .vsix to install for the UI part (the packaged extension); else the repo is loaded as a development extension. */
  vsix?: string;
  python?: string;
}

export interface E2EReport {
  extTests: { exitCode: number | string; results: CaseResult[] };
  ui: UiFlowResult & { outsideRequests: string[] };
  extSuiteScreenshot?: string;
  timings: Record<string, number>;
  serverLog: string;
}

function prepareWorkspace(repo: string, dir: string): string {
  const exp = join(dir, 'micro-addition');
  mkdirSync(dir, { recursive: true });
  initExperiment(exp, readFileSync(join(repo, 'test/vscode/fixtures/micro-addition/trex.yaml'), 'utf8'), 'fixtures/micro-addition/trex.yaml');
  return exp;
}

export async function runE2E(o: E2EOptions): Promise<E2EReport> {
  const timings: Record<string, number> = {};
  const t = (name: string, t0: number) => (timings[name] = Date.now() - t0);
  mkdirSync(o.shotsDir, { recursive: true });
  const wsExt = join(o.runDir, 'ws-ext');
  const wsUi = join(o.runDir, 'ws-ui');
  prepareWorkspace(o.repo, wsExt);
  const uiExperiment = prepareWorkspace(o.repo, wsUi);
  const reportPath = join(o.runDir, 'ext-tests.json');
  const serverLog = join(o.runDir, 'server.log');

  if (o.vsix) {
    const t0 = Date.now();
    writeFileSync(join(o.runDir, 'install-config.yaml'), 'auth: none\ncert: false\n');
    execFileSync(o.install.node24, [o.install.entry, '--config', join(o.runDir, 'install-config.yaml'), '--user-data-dir', join(o.runDir, 'user-data'), '--extensions-dir', join(o.runDir, 'extensions'), '--install-extension', o.vsix, '--force'], {
      stdio: 'inherit',
      // Its own config and XDG dirs: otherwise code-server writes ~/.config/code-server/config.yaml.
      env: { ...process.env, EXTENSIONS_GALLERY: '{}', XDG_CONFIG_HOME: join(o.runDir, 'xdg-config'), XDG_DATA_HOME: join(o.runDir, 'xdg-data'), XDG_CACHE_HOME: join(o.runDir, 'xdg-cache') },
    });
    t('install .vsix', t0);
  }
  let t0 = Date.now();
  const server = await startCodeServer(o.install, {
    runDir: o.runDir,
    workspace: wsExt,
    logFile: serverLog,
    env: { TREX_TEST_REPORT: reportPath, ...(process.env.TREX_TEST_CASES ? { TREX_TEST_CASES: process.env.TREX_TEST_CASES } : {}), ...(o.python ? { TREX_PYTHON: o.python } : {}) },
  });
  t('code-server listening', t0);
  const browser = await launchBrowser();
  const report: E2EReport = { extTests: { exitCode: 'not run', results: [] }, ui: { steps: [], screenshots: [], outsideRequests: [] }, timings, serverLog };
  try {
    // 1. The extension's own test module, inside the real extension host.
    t0 = Date.now();
    {
      const { page } = await openPage(browser);
      const exited = new Promise<number | string>((resolve) => void page.exposeFunction('codeAutomationExit', (code: number) => resolve(code)));
      const testsPath = join(o.repo, 'out/test/vscode/suite/index.js');
      await page.goto(workbenchUrl(server.url, wsExt, { extensionDevelopmentPath: o.repo, extensionTestsPath: testsPath, skipWelcome: 'true' }));
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<string>((r) => (timer = setTimeout(() => r('timeout'), 12 * 60_000)));
      report.extTests.exitCode = await Promise.race([exited, timeout]);
      clearTimeout(timer);
      report.extSuiteScreenshot = await screenshot(page, o.shotsDir, 'vscode-ext-suite.png', []).catch(() => undefined);
      await page.context().close();
    }
    if (existsSync(reportPath)) report.extTests.results = (JSON.parse(readFileSync(reportPath, 'utf8')) as { results: CaseResult[] }).results;
    t('extension-host tests', t0);

    // 2. The UI: palette → panel → tree view → fork → edit → run → log tab (TREX_TEST_SKIP_UI=1: not
    // run, for a focused run of some extension-host cases).
    t0 = Date.now();
    if (process.env.TREX_TEST_SKIP_UI !== '1') {
      const { page, outside } = await openPage(browser);
      const payload: Record<string, string> = o.vsix ? { skipWelcome: 'true' } : { extensionDevelopmentPath: o.repo, skipWelcome: 'true' };
      await page.goto(workbenchUrl(server.url, wsUi, payload));
      await waitForWorkbench(page);
      report.ui = { ...(await runUiFlow(page, { shotsDir: o.shotsDir, experimentDir: uiExperiment })), outsideRequests: outside };
      await page.context().close();
    }
    t('UI flow', t0);
  } finally {
    await browser.close().catch(() => undefined);
    await server.stop();
  }
  return report;
}

/** Entry for the child process: options from argv[1] (JSON), report written to argv[2]. */
export async function main(): Promise<void> {
  const [optsJson, reportPath] = process.argv.slice(-2);
  const report = await runE2E(JSON.parse(optsJson) as E2EOptions);
  writeFileSync(reportPath, JSON.stringify(report, null, 2));
  process.exit(0); // Playwright or a stray handle must not keep the child alive
}

/** Copies the experiments the run left behind next to the screenshots, for a look afterwards. */
export function keepArtifacts(runDir: string, into: string): void {
  for (const ws of ['ws-ext', 'ws-ui']) {
    const src = join(runDir, ws, 'micro-addition', 'tree.jsonl');
    if (existsSync(src)) cpSync(src, join(into, `${ws}-tree.jsonl`));
  }
}
