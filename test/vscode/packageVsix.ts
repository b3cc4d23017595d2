// The .vsix the UI test installs, packaged the way a clean checkout packages it. vsce walks every
// file under its folder before applying .vscodeignore; in a working tree that includes the Python
// venvs and the code-server install (~100k files, close to a minute of CPU), so it packs a copy
// of what a checkout has instead: the files git tracks or would track, plus the esbuild bundles.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Files a clean checkout has: git's list when this is a repository, else every top-level entry that is not tooling state. */
function checkoutFiles(repo: string): string[] {
  try {
    return execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .split('\0')
      .filter((f) => f && existsSync(join(repo, f)));
  } catch {
    const skip = new Set(['node_modules', 'out', 'dist', 'test-results']);
    return readdirSync(repo).filter((n) => !skip.has(n) && (!n.startsWith('.') || n === '.vscodeignore'));
  }
}

export function packageVsix(repo: string, workDir: string): string {
  if (!existsSync(join(repo, 'dist', 'extension.js')) || !existsSync(join(repo, 'dist', 'webview', 'main.js'))) execFileSync('node', ['esbuild.mjs'], { cwd: repo, stdio: 'inherit' });
  const stage = join(workDir, 'package');
  rmSync(stage, { recursive: true, force: true });
  for (const f of [...checkoutFiles(repo), 'dist']) {
    mkdirSync(dirname(join(stage, f)), { recursive: true });
    cpSync(join(repo, f), join(stage, f), { recursive: true });
  }
  const out = join(workDir, 'trex.vsix');
  // --no-dependencies: esbuild bundles every dependency, so vsce need not ask npm for them.
  execFileSync(join(repo, 'node_modules', '.bin', 'vsce'), ['package', '--no-dependencies', '--allow-missing-repository', '--skip-license', '--no-rewrite-relative-links', '-o', out], { cwd: stage, stdio: 'inherit' });
  return out;
}
