// known_hosts parsing and matching: plain, wildcard, negated, hashed, [host]:port, @revoked.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { checkHostKey, entryMatchesHost, fingerprintSha256, knownHostKeyAlgorithms, loadKnownHosts, parseKnownHosts, recordHostKey } from '../../../../src/engine/backends/ssh/knownHosts';

function newKey(dir: string, name: string, type = 'ed25519'): { line: string; blob: Buffer; type: string; pub: string } {
  const path = join(dir, name);
  spawnSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-f', path]);
  const [t, b64] = readFileSync(`${path}.pub`, 'utf8').trim().split(/\s+/);
  return { line: `${t} ${b64}`, blob: Buffer.from(b64, 'base64'), type: t, pub: `${path}.pub` };
}

test('plain, wildcard, negated and [host]:port patterns match the way OpenSSH does', () => {
  const dir = mkdtempSync(join(tmpdir(), 'trex-kh-'));
  try {
    const k = newKey(dir, 'a');
    const entries = parseKnownHosts(
      [`gpu1.example,10.0.0.5 ${k.line}`, `*.lab.example,!bad.lab.example ${k.line}`, `[gpu2.example]:2222 ${k.line}`, `# comment`, `garbage line`, ''].join('\n'),
      'kh',
    );
    assert.equal(entries.length, 3);
    const [plain, wild, ported] = entries;
    assert.ok(entryMatchesHost(plain, 'gpu1.example', 22));
    assert.ok(entryMatchesHost(plain, 'GPU1.example', 22), 'host names are case-insensitive');
    assert.ok(entryMatchesHost(plain, '10.0.0.5', 22));
    assert.ok(!entryMatchesHost(plain, 'gpu1.example', 2222), 'a non-standard port needs a [host]:port entry');
    assert.ok(entryMatchesHost(wild, 'a.lab.example', 22));
    assert.ok(!entryMatchesHost(wild, 'bad.lab.example', 22), 'negation wins');
    assert.ok(entryMatchesHost(ported, 'gpu2.example', 2222));
    assert.ok(!entryMatchesHost(ported, 'gpu2.example', 22));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('hashed entries written by ssh-keygen -H match; known, changed, unknown and revoked keys are told apart', () => {
  const dir = mkdtempSync(join(tmpdir(), 'trex-kh-'));
  try {
    const good = newKey(dir, 'good');
    const other = newKey(dir, 'other');
    const rsa = newKey(dir, 'rsa', 'rsa');
    const file = join(dir, 'known_hosts');
    writeFileSync(file, `[h.example]:2200 ${good.line}\nh.example ${rsa.line}\n`);
    assert.equal(spawnSync('ssh-keygen', ['-H', '-f', file]).status, 0);
    const entries = loadKnownHosts([file]);
    assert.ok(entries.every((e) => e.hashed), 'all names hashed');
    assert.equal(checkHostKey(entries, 'h.example', 2200, good.blob).status, 'known');
    assert.equal(checkHostKey(entries, 'h.example', 2200, other.blob).status, 'changed');
    assert.equal(checkHostKey(entries, 'new.example', 2200, other.blob).status, 'unknown');
    assert.deepEqual(knownHostKeyAlgorithms(entries, 'h.example', 22), ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']);
    assert.deepEqual(knownHostKeyAlgorithms(entries, 'h.example', 2200), ['ssh-ed25519']);
    const revoked = parseKnownHosts(`@revoked * ${good.line}\n[h.example]:2200 ${good.line}`, 'r');
    assert.equal(checkHostKey(revoked, 'h.example', 2200, good.blob).status, 'revoked');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('recorded keys (plain and hashed) are read back by OpenSSH; fingerprints match ssh-keygen -l', () => {
  const dir = mkdtempSync(join(tmpdir(), 'trex-kh-'));
  try {
    const k = newKey(dir, 'k');
    const file = join(dir, 'sub', 'known_hosts');
    recordHostKey(file, '127.0.0.1', 2022, k.blob, false);
    recordHostKey(file, 'h.example', 22, k.blob, true);
    assert.match(readFileSync(file, 'utf8'), /^\[127\.0\.0\.1\]:2022 ssh-ed25519 /);
    for (const name of ['[127.0.0.1]:2022', 'h.example']) {
      assert.equal(spawnSync('ssh-keygen', ['-F', name, '-f', file]).status, 0, name);
    }
    const fp = spawnSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', k.pub], { encoding: 'utf8' }).stdout.split(/\s+/)[1];
    assert.equal(fingerprintSha256(k.blob), fp);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
