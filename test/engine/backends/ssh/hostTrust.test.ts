// Who we connect to and as whom: known_hosts (plain, hashed), consent for new hosts, refusal of
// changed keys, authentication failures that name the host and the cause, ssh-agent, ProxyJump.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { BackendError } from '../../../../src/engine/backends/backend';
import { localExperiment, makeBackend, sleep } from './helpers';
import { SshdHarness, sshdAvailable } from './sshd';

const skip = sshdAvailable() ? false : 'OpenSSH server (/usr/sbin/sshd) is not installed';
let h: SshdHarness;

before(async () => {
  if (!skip) h = await SshdHarness.start();
});
after(async () => {
  await h?.cleanup();
});

function fingerprintOf(pubFile: string): string {
  const r = spawnSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', pubFile], { encoding: 'utf8' });
  return r.stdout.split(/\s+/)[1];
}

/** Connects and returns the error (or undefined) and how long it took. */
async function tryConnect(over: Parameters<typeof makeBackend>[3]): Promise<{ error?: Error; ms: number }> {
  const backend = makeBackend(h, localExperiment(), join(h.dir, 'remote-trust'), over);
  const t0 = Date.now();
  try {
    await backend.connection.ensureConnected();
    await backend.connection.exec('true');
    return { ms: Date.now() - t0 };
  } catch (e) {
    return { error: e as Error, ms: Date.now() - t0 };
  } finally {
    await backend.close();
  }
}

test('an unknown host without consent fails fast, naming the host and its fingerprint; nothing is recorded', { skip }, async () => {
  const kh = join(h.dir, 'known_hosts.empty');
  writeFileSync(kh, '');
  const { error, ms } = await tryConnect({ knownHostsPath: kh });
  assert.ok(error instanceof BackendError, String(error));
  assert.match(error.message, /trex-test/);
  assert.match(error.message, /unknown host/);
  assert.ok(error.message.includes(fingerprintOf(`${h.hostKeyPath}.pub`)), error.message);
  assert.match(error.message, /--accept-new-host/);
  assert.ok(ms < 5000, `took ${ms} ms`);
  assert.equal(readFileSync(kh, 'utf8'), '');
});

test('--accept-new-host records the key in known_hosts; later connections need no consent', { skip }, async () => {
  const kh = join(h.dir, 'known_hosts.accept');
  const first = await tryConnect({ knownHostsPath: kh, acceptNewHost: true });
  assert.equal(first.error, undefined);
  const recorded = readFileSync(kh, 'utf8').trim();
  assert.equal(recorded, h.hostPublicKeyLine());
  // OpenSSH agrees with what we wrote.
  const r = spawnSync('ssh-keygen', ['-F', `[127.0.0.1]:${h.port}`, '-f', kh], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const again = await tryConnect({ knownHostsPath: kh });
  assert.equal(again.error, undefined);
});

test('confirmNewHost is asked with the host and fingerprint; no keeps the host unknown, yes records it', { skip }, async () => {
  const kh = join(h.dir, 'known_hosts.prompt');
  const asked: [string, string][] = [];
  const no = await tryConnect({ knownHostsPath: kh, confirmNewHost: async (host, fp) => (asked.push([host, fp]), false) });
  assert.ok(no.error instanceof BackendError);
  assert.match(no.error.message, /unknown host/);
  assert.equal(asked.length, 1);
  assert.match(asked[0][0], /trex-test/);
  assert.equal(asked[0][1], fingerprintOf(`${h.hostKeyPath}.pub`));
  // A slow answer (a user thinking) must not trip the handshake timeout.
  const yes = await tryConnect({ knownHostsPath: kh, confirmNewHost: async () => (await sleep(300), true) });
  assert.equal(yes.error, undefined);
  assert.equal(readFileSync(kh, 'utf8').trim(), h.hostPublicKeyLine());
});

test('hashed known_hosts entries (ssh-keygen -H) are recognised', { skip }, async () => {
  const kh = join(h.dir, 'known_hosts.hashed');
  writeFileSync(kh, `# a comment\nother.example ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n${h.hostPublicKeyLine()}\n`);
  const r = spawnSync('ssh-keygen', ['-H', '-f', kh], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(readFileSync(kh, 'utf8'), /^\|1\|/m);
  assert.doesNotMatch(readFileSync(kh, 'utf8'), /127\.0\.0\.1/);
  const { error } = await tryConnect({ knownHostsPath: kh });
  assert.equal(error, undefined);
});

test('a wrong key fails fast, naming the host and the cause', { skip }, async () => {
  const { error, ms } = await tryConnect({ host: 'trex-wrongkey' });
  assert.ok(error instanceof BackendError, String(error));
  assert.match(error.message, /trex-wrongkey/);
  assert.match(error.message, /authentication failed/);
  assert.ok(error.message.includes('id_other'), error.message);
  assert.ok(ms < 5000, `took ${ms} ms`);
});

test('a wrong user fails fast, naming the host, the user and the cause', { skip }, async () => {
  const { error, ms } = await tryConnect({ host: 'trex-wronguser' });
  assert.ok(error instanceof BackendError, String(error));
  assert.match(error.message, /trex-wronguser/);
  assert.match(error.message, /authentication failed for user 'trex-no-such-user'/);
  assert.ok(ms < 5000, `took ${ms} ms`);
});

test('a closed port fails after a short retry window with a message naming the host', { skip }, async () => {
  const { error, ms } = await tryConnect({ host: 'trex-inline', inline: { hostname: '127.0.0.1', port: 1, user: h.user, identity_file: h.userKeyPath } });
  assert.ok(error instanceof BackendError, String(error));
  assert.match(error.message, /cannot reach trex-inline/);
  assert.match(error.message, /ECONNREFUSED/);
  assert.ok(ms < 8000, `took ${ms} ms`);
});

test('inline compute.ssh settings connect without an ssh config entry', { skip }, async () => {
  const { error } = await tryConnect({ host: 'not-in-config', inline: { hostname: '127.0.0.1', port: h.port, user: h.user, identity_file: h.userKeyPath } });
  assert.equal(error, undefined);
});

test('ProxyJump through a jump host, each hop verified against known_hosts', { skip }, async () => {
  h.writeClientConfig(['Host trex-jumped', '  HostName 127.0.0.1', `  Port ${h.port}`, `  User ${h.user}`, `  IdentityFile ${h.userKeyPath}`, '  IdentitiesOnly yes', '  ProxyJump trex-test', ''].join('\n'));
  try {
    const backend = makeBackend(h, localExperiment(), join(h.dir, 'remote-jump'), { host: 'trex-jumped' });
    try {
      const r = await backend.connection.exec('echo "$SSH_CONNECTION"');
      assert.equal(r.code, 0);
      assert.match(r.stdout.toString(), /^127\.0\.0\.1 \d+ 127\.0\.0\.1 \d+/);
      assert.equal(backend.connection.target.jumps.length, 1);
    } finally {
      await backend.close();
    }
  } finally {
    h.writeClientConfig();
  }
});

test('ssh-agent supplies the key when the config names none', { skip }, async () => {
  const sock = join(h.dir, 'agent.sock');
  const agent = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
  try {
    for (let i = 0; i < 50; i++) {
      if (spawnSync('test', ['-S', sock]).status === 0) break;
      await sleep(50);
    }
    const add = spawnSync('ssh-add', [h.userKeyPath], { env: { ...process.env, SSH_AUTH_SOCK: sock }, encoding: 'utf8' });
    assert.equal(add.status, 0, add.stderr);
    appendFileSync(h.sshConfigPath, ['Host trex-agent', '  HostName 127.0.0.1', `  Port ${h.port}`, `  User ${h.user}`, `  IdentityAgent ${sock}`, `  IdentityFile ${join(h.dir, 'no-such-key')}`, ''].join('\n'));
    const { error } = await tryConnect({ host: 'trex-agent' });
    assert.equal(error, undefined);
  } finally {
    agent.kill('SIGTERM');
    h.writeClientConfig();
  }
});

// Last: it rotates the server's host key.
test('a changed host key is always refused, even with --accept-new-host', { skip }, async () => {
  const before = readFileSync(h.knownHostsPath, 'utf8');
  await h.rotateHostKey();
  try {
    const { error, ms } = await tryConnect({ acceptNewHost: true, confirmNewHost: async () => true });
    assert.ok(error instanceof BackendError, String(error));
    assert.match(error.message, /trex-test/);
    assert.match(error.message, /HOST KEY CHANGED/);
    assert.ok(error.message.includes(fingerprintOf(`${h.hostKeyPath}.pub`)), 'names the new fingerprint');
    assert.match(error.message, /ssh-keygen -R/);
    assert.ok(ms < 5000, `took ${ms} ms`);
    assert.equal(readFileSync(h.knownHostsPath, 'utf8'), before, 'known_hosts untouched');
  } finally {
    h.writeKnownHosts();
  }
});
