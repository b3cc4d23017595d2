// Host resolution from an ssh config file (and the inline compute.ssh block), as OpenSSH would.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseHop, SshConfigResolver } from '../../../../src/engine/backends/ssh/config';
import { inlineSshFromSpec, sshHostFromRequest } from '../../../../src/engine/backends/ssh/specOptions';

function withConfig(text: string, fn: (path: string, home: string) => void): void {
  const home = mkdtempSync(join(tmpdir(), 'trex-sshcfg-'));
  try {
    mkdirSync(join(home, '.ssh'));
    const path = join(home, '.ssh', 'config');
    writeFileSync(path, text);
    fn(path, home);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

test('HostName, User, Port, IdentityFile (~ and %h tokens), IdentitiesOnly, known_hosts settings', () => {
  const text = [
    'Host gpu',
    '  HostName 10.1.2.3',
    '  User alice',
    '  Port 2222',
    '  IdentityFile ~/.ssh/id_%h',
    '  IdentityFile ~/.ssh/second',
    '  IdentitiesOnly yes',
    '  UserKnownHostsFile ~/.ssh/kh_one ~/.ssh/kh_two',
    '  HashKnownHosts yes',
    '  StrictHostKeyChecking accept-new',
    '  HostKeyAlias gpu-box',
    '  ConnectTimeout 7',
    'Host *',
    '  User fallback',
    '  Port 22',
  ].join('\n');
  withConfig(text, (path, home) => {
    const t = new SshConfigResolver({ configPath: path, env: { HOME: home } }).resolve('gpu');
    assert.equal(t.hostname, '10.1.2.3');
    assert.equal(t.user, 'alice', 'first match wins');
    assert.equal(t.port, 2222);
    assert.deepEqual(t.identityFiles, [join(home, '.ssh/id_10.1.2.3'), join(home, '.ssh/second')]);
    assert.equal(t.identitiesOnly, true);
    assert.deepEqual(t.knownHostsFiles, [join(home, '.ssh/kh_one'), join(home, '.ssh/kh_two'), '/etc/ssh/ssh_known_hosts']);
    assert.equal(t.hashKnownHosts, true);
    assert.equal(t.acceptNewFromConfig, true);
    assert.equal(t.hostKeyName, 'gpu-box');
    assert.equal(t.connectTimeoutMs, 7000);
    const other = new SshConfigResolver({ configPath: path, env: { HOME: home } }).resolve('plain.example');
    assert.equal(other.hostname, 'plain.example');
    assert.equal(other.user, 'fallback');
    assert.equal(other.port, 22);
    assert.deepEqual(other.knownHostsFiles, [join(home, '.ssh/known_hosts'), '/etc/ssh/ssh_known_hosts']);
  });
});

test('TREX_SSH_CONFIG and TREX_KNOWN_HOSTS replace the files; inline compute.ssh overrides the entry', () => {
  withConfig('Host gpu\n  HostName 10.1.2.3\n  User alice\n', (path, home) => {
    const env = { HOME: home, TREX_SSH_CONFIG: path, TREX_KNOWN_HOSTS: '/tmp/kh-test' };
    const t = new SshConfigResolver({ env, inline: { port: 2200, user: 'bob', identity_file: '~/k' } }).resolve('gpu');
    assert.equal(t.hostname, '10.1.2.3');
    assert.equal(t.port, 2200);
    assert.equal(t.user, 'bob');
    assert.deepEqual(t.identityFiles, [join(home, 'k')]);
    assert.deepEqual(t.knownHostsFiles, ['/tmp/kh-test'], 'a pinned file is the only one read');
  });
});

test('ProxyJump hops are resolved through the config, outermost first', () => {
  const text = ['Host bastion', '  HostName 192.0.2.1', '  User jumper', 'Host inner', '  HostName 192.0.2.2', '  ProxyJump bastion', 'Host gpu', '  HostName 10.0.0.9', '  ProxyJump inner,ops@edge.example:2022'].join('\n');
  withConfig(text, (path, home) => {
    const t = new SshConfigResolver({ configPath: path, env: { HOME: home, USER: 'me' } }).resolve('gpu');
    assert.deepEqual(
      t.jumps.map((j) => [j.alias, j.hostname, j.user, j.port]),
      [
        ['bastion', '192.0.2.1', 'jumper', 22],
        ['inner', '192.0.2.2', 'me', 22],
        ['edge.example', 'edge.example', 'ops', 2022],
      ],
    );
    assert.deepEqual(parseHop('ssh://u@[::1]:2200'), { user: 'u', host: '::1', port: 2200 });
  });
});

test('Include files are followed (ssh-config alone does not)', () => {
  withConfig('Include conf.d/*.conf\nHost *\n  User dflt\n', (path, home) => {
    mkdirSync(join(home, '.ssh', 'conf.d'));
    writeFileSync(join(home, '.ssh', 'conf.d', 'gpu.conf'), 'Host gpu\n  HostName 10.9.9.9\n  User inc\n');
    const t = new SshConfigResolver({ configPath: path, env: { HOME: home } }).resolve('gpu');
    assert.equal(t.hostname, '10.9.9.9');
    assert.equal(t.user, 'inc');
  });
});

test('the identity agent comes from IdentityAgent or SSH_AUTH_SOCK; none disables it', () => {
  withConfig('Host a\n  IdentityAgent none\nHost b\n  IdentityAgent ~/agent.sock\n', (path, home) => {
    const r = new SshConfigResolver({ configPath: path, env: { HOME: home, SSH_AUTH_SOCK: '/run/agent' } });
    assert.equal(r.resolve('a').agentSocket, undefined);
    assert.equal(r.resolve('b').agentSocket, join(home, 'agent.sock'));
    assert.equal(r.resolve('c').agentSocket, '/run/agent');
  });
});

test('trex.yaml compute.ssh is validated and the host is taken from ssh:<host>, compute.ssh.host or compute.host', () => {
  const inline = inlineSshFromSpec({ ssh: { host: 'gpu', port: 2222, user: 'u' } });
  assert.deepEqual(inline, { host: 'gpu', hostname: undefined, port: 2222, user: 'u', identity_file: undefined, proxy_jump: undefined });
  assert.throws(() => inlineSshFromSpec({ ssh: { port: 'x' } }), /port must be an integer/);
  assert.equal(sshHostFromRequest('ssh:box', {}, undefined), 'box');
  assert.equal(sshHostFromRequest('ssh', { host: 'h2' }, inline), 'gpu');
  assert.equal(sshHostFromRequest('ssh', { host: 'h2' }, undefined), 'h2');
  assert.throws(() => sshHostFromRequest('ssh', {}, undefined), /needs a host/);
});
