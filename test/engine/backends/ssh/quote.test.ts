// shellQuote against hostile strings: what the shell receives must be exactly the original text.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { envAssignment, shellJoin, shellQuote } from '../../../../src/engine/backends/ssh/quote';
import { checkRelPath, defaultRemoteDir, resolveRemoteRoot } from '../../../../src/engine/backends/ssh/remotePaths';
import { HOSTILE } from './helpers';

/** What `sh -c` passes to printf for the quoted words, NUL-separated. */
function throughShell(shell: string, words: string[]): string[] {
  const r = spawnSync(shell, ['-c', `printf '%s\\0' ${shellJoin(words)}`], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split('\0').slice(0, -1);
}

test('every hostile string survives sh and bash unchanged, and nothing is executed', () => {
  for (const shell of ['sh', 'bash']) {
    assert.deepEqual(throughShell(shell, HOSTILE), HOSTILE, shell);
  }
  assert.equal(spawnSync('test', ['-e', '/tmp/trex-pwned']).status, 1);
});

test('safe words stay readable; others are single-quoted; NUL is refused', () => {
  assert.equal(shellQuote('nodes/n0001/run/train'), 'nodes/n0001/run/train');
  assert.equal(shellQuote('a b'), "'a b'");
  assert.equal(shellQuote("it's"), `'it'\\''s'`);
  assert.equal(shellQuote(''), "''");
  assert.equal(shellQuote('-rf'), "'-rf'");
  assert.throws(() => shellQuote('a\0b'), /NUL/);
});

test('environment assignments quote the value and check the name', () => {
  const r = spawnSync('sh', ['-c', `env -i ${envAssignment('X', "a 'b' $(c)\nd")} sh -c 'printf %s "$X"'`], { encoding: 'utf8' });
  assert.equal(r.stdout, "a 'b' $(c)\nd");
  assert.throws(() => envAssignment('BAD NAME', 'x'), /invalid environment variable name/);
  assert.throws(() => envAssignment('X;rm', 'x'), /invalid/);
});

test('experiment-relative paths cannot leave the work dir', () => {
  assert.equal(checkRelPath('nodes/n1/./run/'), 'nodes/n1/run');
  assert.equal(checkRelPath('-rf'), '-rf');
  for (const bad of ['../x', 'nodes/../../x', '/etc/passwd', '', '.', 'a\nb']) assert.throws(() => checkRelPath(bad), /not inside|control/, bad);
});

test('remote work dirs: ~ expansion, a default per experiment, and no / or $HOME', () => {
  assert.equal(resolveRemoteRoot('~/trex-runs/x', '/home/u'), '/home/u/trex-runs/x');
  assert.equal(resolveRemoteRoot('runs/x/', '/home/u'), '/home/u/runs/x');
  assert.equal(resolveRemoteRoot("/data/it's $here", '/home/u'), "/data/it's $here");
  for (const bad of ['/', '~', '/home', '/home/u/', '']) assert.throws(() => resolveRemoteRoot(bad, '/home/u'), /dedicated/, bad);
  assert.throws(() => resolveRemoteRoot('/x\ny', '/home/u'), /control/);
  const d = defaultRemoteDir("my exp's $name", '/local/path');
  assert.match(d, /^~\/trex-runs\/my-exp-s-name-[0-9a-f]{8}$/);
  assert.notEqual(d, defaultRemoteDir("my exp's $name", '/other/path'), 'two local copies get two remote dirs');
});
