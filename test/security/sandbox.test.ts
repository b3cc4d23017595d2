// The confined process for model-written commands (issue 16): in the node folder, scrubbed
// environment, time and output limits, and where the machine allows, no network and a read-only
// view outside the node's work folder. Each isolation this machine offers is tested.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { detectIsolation, runConfined, type Isolation } from '../../src/engine/sandbox';
import { cleanupTempDirs, tempDir } from '../engine/llm/helpers';
import { survivors } from '../helpers/survivors';

after(() => cleanupTempDirs());

const detected = detectIsolation();
const kinds: Isolation[] = detected === 'bwrap' ? ['bwrap', 'unshare'] : detected === 'unshare' ? ['unshare'] : [];

function node() {
  const root = tempDir('trex-sandbox-');
  const nodeDir = join(root, 'exp', 'nodes', 'n0001');
  mkdirSync(nodeDir, { recursive: true });
  return { root, nodeDir };
}

const base = { timeoutMs: 60_000, maxOutputBytes: 64 * 1024, maxFileBytes: 1 << 20 };

test('detectIsolation names one of bwrap, unshare, none; TREX_ISOLATION=none is honoured', async () => {
  assert.ok(['bwrap', 'unshare', 'none'].includes(detected));
  // A fresh module instance (the answer is cached per process): the switch turns isolation off.
  const { execFileSync } = await import('node:child_process');
  const mod = require.resolve('../../src/engine/sandbox/isolation');
  const out = execFileSync(process.execPath, ['-e', `process.stdout.write(require(${JSON.stringify(mod)}).detectIsolation())`], { env: { ...process.env, TREX_ISOLATION: 'none' }, encoding: 'utf8' });
  assert.equal(out, 'none');
});

for (const kind of kinds) {
  test(`${kind}: a confined command writes only under the node's work folder`, async () => {
    const { root, nodeDir } = node();
    const r = await runConfined({ ...base, isolation: kind, nodeDir, argv: ['bash', '-c', `echo in > work/ok; echo x > metrics.json; echo x > ${root}/outside; echo x > /tmp/trex-sandbox-escape-${process.pid}; pwd`] });
    assert.notEqual(r.exitCode, 125, r.output);
    assert.equal(readFileSync(join(nodeDir, 'work', 'ok'), 'utf8'), 'in\n');
    assert.ok(!existsSync(join(nodeDir, 'metrics.json')), 'the node folder itself is read-only');
    assert.ok(!existsSync(join(root, 'outside')));
    assert.ok(!existsSync(`/tmp/trex-sandbox-escape-${process.pid}`));
    assert.match(r.output, /Read-only file system/);
    assert.match(r.output, new RegExp(`${nodeDir}\\n`), 'cwd is the node folder');
  });

  test(`${kind}: a confined command cannot connect to a loopback server of the test`, async () => {
    const { nodeDir } = node();
    let connections = 0;
    const server: Server = createServer((s) => {
      connections++;
      s.end('secret-from-server\n');
    });
    await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
    const port = (server.address() as { port: number }).port;
    try {
      const r = await runConfined({ ...base, isolation: kind, nodeDir, argv: ['python3', '-c', `import socket\ns=socket.create_connection(("127.0.0.1",${port}),timeout=5)\nprint(s.recv(100))`] });
      assert.notEqual(r.exitCode, 0, r.output);
      assert.match(r.output, /Connection refused|Network is unreachable|timed out/);
      assert.ok(!r.output.includes('secret-from-server'));
      assert.equal(connections, 0);
    } finally {
      server.close();
    }
  });

  test(`${kind}: no secret environment variable, and credential folders of the home directory are hidden`, async () => {
    const { nodeDir } = node();
    process.env.TREX_SANDBOX_TEST_API_KEY = 'sk-sandbox-secret-0001';
    process.env.TREX_PASS_ENV = 'TREX_SANDBOX_TEST_API_KEY';
    try {
      const r = await runConfined({ ...base, isolation: kind, nodeDir, argv: ['bash', '-c', 'env; cat /proc/1/environ; ls -A ~/.config 2>&1 | head -3; echo done'] });
      assert.equal(r.exitCode, 0, r.output);
      assert.ok(!r.output.includes('sk-sandbox-secret-0001'), r.output);
      assert.ok(!r.output.includes('trusted-folders'), 'the consent store is hidden');
      assert.match(r.output, /done/);
    } finally {
      delete process.env.TREX_SANDBOX_TEST_API_KEY;
      delete process.env.TREX_PASS_ENV;
    }
  });

  test(`${kind}: a command that blocks forever, and everything it forked, is killed by the time limit`, async () => {
    const { nodeDir } = node();
    // The children write a marker when they start, then block; after the kill nothing of it remains.
    // A duration no other process on the machine uses, so `ps` finds only this test's sleepers.
    const marker = `sleep ${100000 + (process.pid % 50000)}`;
    const r = await runConfined({ ...base, isolation: kind, timeoutMs: 1500, nodeDir, argv: ['bash', '-c', `for i in 1 2 3 4 5 6 7 8; do (setsid ${marker} &); done; touch work/started; ${marker}`] });
    assert.equal(r.timedOut, true);
    assert.notEqual(r.exitCode, 0);
    assert.ok(existsSync(join(nodeDir, 'work', 'started')), 'it ran before it was killed');
    assert.deepEqual(await survivors(marker), [], 'no forked process survives');
  });
}

for (const kind of [...kinds, 'none' as const]) {
  test(`${kind}: output and file-size limits hold`, async () => {
    const { nodeDir } = node();
    const r = await runConfined({ ...base, isolation: kind, maxOutputBytes: 4096, nodeDir, argv: ['bash', '-c', 'yes xxxxxxxx'] });
    assert.equal(r.outputLimited, true);
    assert.ok(r.output.length <= 4096);
    const f = await runConfined({ ...base, isolation: kind, maxFileBytes: 64 * 1024, nodeDir, argv: ['bash', '-c', 'head -c 10000000 /dev/zero > work/big; echo rc=$?'] });
    assert.match(f.output, /rc=[1-9]/);
    const { statSync } = await import('node:fs');
    assert.ok(statSync(join(nodeDir, 'work', 'big')).size <= 64 * 1024, 'the file stops at the limit');
  });
}

test('no isolation: the environment is still scrubbed and cwd is the node folder', async () => {
  const { nodeDir } = node();
  writeFileSync(join(nodeDir, 'plan.md'), 'plan');
  process.env.TREX_SANDBOX_TEST_TOKEN = 'tok-sandbox-secret-0002';
  try {
    const r = await runConfined({ ...base, isolation: 'none', nodeDir, argv: ['bash', '-c', 'env; cat plan.md'] });
    assert.equal(r.exitCode, 0);
    assert.ok(!r.output.includes('tok-sandbox-secret-0002'));
    assert.match(r.output, /plan$/);
  } finally {
    delete process.env.TREX_SANDBOX_TEST_TOKEN;
  }
});
