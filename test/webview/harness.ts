// Serves the built tree webview (the same HTML and CSP the extension renders) on 127.0.0.1 and
// opens it in headless Debian Chromium with a stub acquireVsCodeApi. The stub records every
// message the page posts and answers requests like a tiny host; tests feed host events with
// `sendToPage`. A test may pass `answer` to answer other requests from Node (with the real host
// code on a real experiment).
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { packageRoot } from '../../src/engine/packageDirs';
import { panelHtml } from '../../src/extension/panel/panelHtml';
import type { ToHostMessage, ToWebviewMessage } from '../../webview/protocol';
// The page's debug hook (window.__trex) is declared by the webview's entry file.
import type {} from '../../webview/main';

export const REPO = packageRoot();
export const RESULTS_DIR = join(REPO, 'test-results');
export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'];

/** The Dark+ theme's values of the variables the webview reads, as VS Code would inject them. */
export const DARK_THEME: Record<string, string> = {
  '--vscode-editor-background': '#1e1e1e',
  '--vscode-editor-foreground': '#d4d4d4',
  '--vscode-foreground': '#cccccc',
  '--vscode-font-family': 'sans-serif',
  '--vscode-editor-font-family': 'monospace',
  '--vscode-charts-red': '#f14c4c',
  '--vscode-charts-yellow': '#cca700',
  '--vscode-charts-green': '#89d185',
  '--vscode-charts-blue': '#3794ff',
  '--vscode-charts-orange': '#d18616',
  '--vscode-charts-purple': '#b180d7',
  '--vscode-focusBorder': '#007fd4',
  '--vscode-disabledForeground': '#7f7f7f',
  '--vscode-errorForeground': '#f48771',
  '--vscode-descriptionForeground': '#a0a0a0',
  '--vscode-editorIndentGuide-activeBackground': '#707070',
  '--vscode-sideBar-background': '#252526',
  '--vscode-panel-border': '#444444',
  '--vscode-button-background': '#0e639c',
  '--vscode-button-foreground': '#ffffff',
  '--vscode-button-secondaryBackground': '#3a3d41',
  '--vscode-button-secondaryForeground': '#ffffff',
};

export interface WebviewPage {
  browser: Browser;
  page: Page;
  /** Messages the page posted to the host, oldest first. */
  sent(): Promise<ToHostMessage[]>;
  sendToPage(message: ToWebviewMessage): Promise<void>;
  /** Console errors and CSP violations seen so far. */
  problems: string[];
  close(): Promise<void>;
}

const ASSETS: Record<string, { file: string; type: string }> = {
  '/dist/webview/main.js': { file: 'dist/webview/main.js', type: 'text/javascript' },
  '/media/tree.css': { file: 'media/tree.css', type: 'text/css' },
};

function serve(): Promise<{ server: Server; origin: string }> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname === '/') {
      const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(panelHtml({ cspSource: origin, nonce: 'dGVzdC1ub25jZS0xMjM0NQ==', scriptUri: `${origin}/dist/webview/main.js`, styleUri: `${origin}/media/tree.css` }));
      return;
    }
    if (url.pathname === '/favicon.ico') {
      res.writeHead(204).end();
      return;
    }
    const asset = ASSETS[url.pathname];
    if (!asset) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': asset.type });
    res.end(readFileSync(join(REPO, asset.file)));
  });
  return new Promise((resolvePromise) => {
    server.listen(0, '127.0.0.1', () => resolvePromise({ server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }));
  });
}

/** Runs in the page before its scripts: the VS Code API stub, the fake host and the theme. */
function pageSetup(theme: Record<string, string>): void {
  interface FakeWindow {
    __sent: unknown[];
    __state: unknown;
    __hostAnswer?: (type: string, data: unknown) => Promise<{ handled: boolean; ok: boolean; data?: unknown; error?: string }>;
    acquireVsCodeApi(): { postMessage(m: unknown): void; getState(): unknown; setState(s: unknown): void };
  }
  const w = window as unknown as FakeWindow;
  w.__sent = [];
  w.__state = undefined;
  const reply = (id: number, data: unknown) => setTimeout(() => window.postMessage({ kind: 'response', id, ok: true, data }, '*'), 0);
  w.acquireVsCodeApi = () => ({
    postMessage(m: unknown) {
      w.__sent.push(m);
      const r = m as { kind?: string; id: number; type: string; data: { id?: string } };
      if (r.kind !== 'request') return;
      // The test's own host answers first; what it leaves (handled: false) gets the canned answers.
      if (w.__hostAnswer) {
        void w.__hostAnswer(r.type, r.data).then((a) => {
          if (a.handled) setTimeout(() => window.postMessage({ kind: 'response', id: r.id, ok: a.ok, data: a.data, error: a.error }, '*'), 0);
          else canned(r);
        });
        return;
      }
      canned(r);
    },
    getState: () => w.__state,
    setState: (s: unknown) => {
      w.__state = s;
    },
  });
  function canned(r: { id: number; type: string; data: { id?: string } }): void {
    if (r.type === 'ready') reply(r.id, { experimentDir: '/tmp/synthetic' });
    else if (r.type === 'forkNode') reply(r.id, { newId: `${r.data.id}-fork` });
    else if (r.type === 'nodeDetails')
      reply(r.id, {
        id: r.data.id,
        plan: `# Plan of ${r.data.id}\n\nRaise the learning rate to converge faster.`,
        diff: '--- parent\n+++ node\n@@ -3,1 +3,1 @@\n-learning_rate: 0.001\n+learning_rate: 0.003',
        metrics: [{ name: 'exact_match', value: '0.8125' }],
        loss: Array.from({ length: 20 }, (_, i) => ({ step: (i + 1) * 5, loss: 3 * Math.exp(-i / 6) + 0.4 })),
        stageLogs: ['prepare', 'train', 'evaluate'],
      });
    else reply(r.id, null);
  }
  const applyTheme = () => {
    for (const [k, v] of Object.entries(theme)) document.documentElement.style.setProperty(k, v);
    document.body?.classList.add('vscode-dark');
  };
  if (document.documentElement) applyTheme();
  document.addEventListener('DOMContentLoaded', applyTheme);
}

/** Answers a request from Node; `undefined` leaves it to the canned answers (null for unknown types). */
export type HostAnswer = (type: string, data: unknown) => unknown;

export async function openWebviewPage(viewport = { width: 1400, height: 900 }, answer?: HostAnswer): Promise<WebviewPage> {
  if (!existsSync(join(REPO, 'dist/webview/main.js'))) throw new Error('dist/webview/main.js is missing: run `node esbuild.mjs` first');
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM)`);
  const { server, origin } = await serve();
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  const page = await (await browser.newContext({ viewport })).newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('request', (r) => {
    if (!r.url().startsWith(origin) && !/^(data|blob|about):/.test(r.url())) problems.push(`request outside the page origin: ${r.url()}`);
  });
  if (answer) {
    await page.exposeFunction('__hostAnswer', (type: string, data: unknown) => {
      try {
        const data2 = answer(type, data);
        return { handled: data2 !== undefined, ok: true, data: data2 ?? null };
      } catch (e) {
        return { handled: true, ok: false, error: (e as Error).message };
      }
    });
  }
  await page.addInitScript(pageSetup, DARK_THEME);
  await page.goto(origin + '/');
  await page.waitForFunction(() => window.__trex !== undefined);
  return {
    browser,
    page,
    problems,
    sent: () => page.evaluate(() => (window as unknown as { __sent: ToHostMessage[] }).__sent),
    sendToPage: (message) => page.evaluate((m) => window.postMessage(m, '*'), message),
    close: async () => {
      await browser.close();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
