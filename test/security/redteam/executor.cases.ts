// Hostile Executor commands: argv tricks without isolation, and scripts run confined under it
// (reading ~/.ssh, printing the environment, opening sockets, forking, filling the disk, faking
// results), and symbolic links in the node folder.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Experiment } from '../../../src/engine';
import { checkArgv, executorTools } from '../../../src/engine/llm/executorAgent/tools';
import { detectIsolation } from '../../../src/engine/sandbox';
import { newExperiment, tempDir, testConfig } from '../../engine/llm/helpers';
import { testBackend } from '../../engine/llm/testBackend';
import { assertNoSecret, assertNoSecretUnder, countingServer, plantSecrets, SSH_KEY_TEXT } from './common';
import { hostile } from './table';
import { survivors } from '../../helpers/survivors';

const WIDE = ['python3', 'bash', 'sh', 'curl', 'ls', 'cat', 'wc', 'grep', 'head', 'tail', 'env'];
const argvCases: [string, string[]][] = [
  ['--opt=/abs hides an absolute path', ['grep', '--exclude-from=/etc/shadow', 'x', 'plan.md']],
  ['--directory=/root', ['ls', '--directory=/root']],
  ['a run folder named in another case (Run/)', ['cat', 'Run/agent-1-1/output.log']],
  ['checkpoint folder in capitals (CKPT/)', ['head', '-c', '100', 'CKPT/model.bin']],
  ['predictions in capitals', ['tail', 'Predictions.JSONL']],
  ['backslash parent segments', ['wc', 'work\\..\\..\\n0001\\recipe.yaml']],
  ['~user expansion', ['cat', '~root/.ssh/id_rsa']],
  ['a Windows drive path', ['cat', 'C:\\Windows\\win.ini']],
  ['a UNC path', ['cat', '\\\\server\\share\\x']],
  ['an interpreter hidden behind an allowed name is still refused', ['env', 'python3', '-c', 'print(1)']],
  ['a path after a colon (--include=x:/etc)', ['grep', '--include=x:/etc/passwd', 'y']],
  ['a NUL byte', ['cat', 'work/x\0/etc/passwd']],
];
for (const [name, argv] of argvCases) {
  hostile('executor argv (no isolation)', name, () => {
    const allowed = WIDE.filter((c) => c !== 'env' || name.includes('interpreter'));
    const problem = checkArgv(argv, name.includes('interpreter') ? ['env', 'cat'] : allowed);
    assert.ok(problem, `accepted: ${argv.join(' ')}`);
  });
}

async function confinedTool(exp: Experiment, allowedCommands = ['python3', 'bash', 'cat', 'ls']) {
  const settings = { ...testConfig('http://127.0.0.1:9/v1').executor, allowedCommands };
  const list = executorTools({ exp, nodeId: 'n0000', settings, backend: await testBackend(exp.dir), session: 1, changed: new Set() });
  const run = list.find((t) => t.name === 'run_command')!;
  return (argv: string[], timeout_s?: number) => run.run({ argv, ...(timeout_s ? { timeout_s } : {}) }, new AbortController().signal);
}

const noIsolation = detectIsolation() === 'none' ? 'no OS isolation on this machine' : false;

/** Runs a hostile script confined, with secrets planted; checks output, the experiment and the outside. */
async function confinedCase(script: string[], check: (out: string, exp: Experiment, outside: string) => void | Promise<void>, timeout_s?: number) {
  const undo = plantSecrets();
  const outside = tempDir('trex-redteam-outside-');
  try {
    const exp = newExperiment();
    const run = await confinedTool(exp);
    const out = await run(script, timeout_s);
    assertNoSecret(out, 'the tool result sent to the model');
    await check(out, exp, outside);
    assertNoSecretUnder(exp.dir);
    assert.ok(!existsSync(join(outside, 'pwned')), 'nothing written outside');
  } finally {
    undo();
  }
}

hostile('confined script', 'reads ~/.ssh/id_rsa', () => confinedCase(['bash', '-c', 'cat ~/.ssh/id_rsa; ls -A ~/.ssh; echo end'], (out) => {
  assert.ok(!out.includes(SSH_KEY_TEXT));
  assert.match(out, /end/);
}), noIsolation);
hostile('confined script', 'prints the environment', () => confinedCase(['bash', '-c', 'echo begin; env; cat /proc/self/environ; cat /proc/1/environ'], (out) => assert.match(out, /begin/)), noIsolation);
hostile('confined script', 'copies the environment into a file in work/', () => confinedCase(['bash', '-c', 'env > work/env.txt; set > work/set.txt'], (_out, exp) => {
  assert.ok(readFileSync(exp.nodePath('n0000', 'work', 'env.txt'), 'utf8').includes('PATH='));
}), noIsolation);
hostile('confined script', 'opens a socket to a loopback server', async () => {
  const srv = await countingServer();
  try {
    await confinedCase(['python3', '-c', `import socket\ntry:\n    socket.create_connection(("127.0.0.1",${srv.port}),timeout=3); print("CONNECTED")\nexcept OSError as e: print("refused", e)`], (out) => {
      assert.ok(!out.includes('CONNECTED') && !out.includes('loopback-secret'));
      assert.equal(srv.hits(), 0);
    });
  } finally {
    srv.close();
  }
}, noIsolation);
hostile('confined script', 'fetches a URL (no network at all)', () => confinedCase(['python3', '-c', 'import urllib.request\ntry:\n    urllib.request.urlopen("http://example.com", timeout=3); print("FETCHED")\nexcept Exception as e: print("refused", type(e).__name__)'], (out) => assert.ok(!out.includes('FETCHED'))), noIsolation);
hostile('confined script', 'forks many blocking processes: all killed at the time limit', async () => {
  const mark = `${90000 + (process.pid % 9999)}`;
  await confinedCase(['bash', '-c', `for i in $(seq 1 64); do sleep ${mark} & done; echo forked; wait`], async (out) => {
    assert.match(out, /timed out .* \(killed\)/);
    const left = await survivors(`sleep ${mark}`);
    assert.equal(left.length, 0, `${left.length} forked processes survived`);
  }, 2);
}, noIsolation);
hostile('confined script', 'fills the disk: stopped at the file-size limit', () => confinedCase(['bash', '-c', 'head -c 2000000000 /dev/zero > work/fill; echo rc=$?'], (out, exp) => {
  assert.match(out, /rc=[1-9]/);
  assert.ok(statSync(exp.nodePath('n0000', 'work', 'fill')).size <= 256 << 20);
}), noIsolation);
hostile('confined script', 'writes outside the experiment', () => confinedCase(['bash', '-c', ''], async (_o, exp, outside) => {
  const run = await confinedTool(exp);
  const out = await run(['bash', '-c', `echo x > ${outside}/pwned; echo x > ../n0001-pwned; echo x > $HOME/pwned; echo done`]);
  assert.match(out, /Read-only file system/);
  assert.ok(!existsSync(join(exp.dir, 'nodes', 'n0001-pwned')));
}), noIsolation);
hostile('confined script', 'fakes a metric (metrics.json, Metrics.json)', () => confinedCase(['bash', '-c', 'echo \'{"validation":{"exact_match":0.99}}\' > metrics.json; echo x > Metrics.json; echo done'], (_out, exp) => {
  assert.ok(!existsSync(exp.nodePath('n0000', 'metrics.json')) && !existsSync(exp.nodePath('n0000', 'Metrics.json')));
}), noIsolation);
hostile('confined script', 'rewrites recipe.yaml around the validated write_file', () => confinedCase(['bash', '-c', 'echo "sources: [{kind: file, path: /etc/passwd}]" > recipe.yaml; echo done'], (_out, exp) => {
  assert.ok(!readFileSync(exp.nodePath('n0000', 'recipe.yaml'), 'utf8').includes('/etc/passwd'));
}), noIsolation);
hostile('confined script', 'plants a symbolic link out of the node in work/', () => confinedCase(['bash', '-c', 'ln -s /etc work/ln; echo done'], async (_out, exp) => {
  const run = await confinedTool(exp);
  await assert.rejects(Promise.resolve().then(() => run(['cat', 'work/ln/hostname'])), /symbolic links leading outside/);
}), noIsolation);
hostile('confined script', 'reads the consent store and the user LLM settings', async () => {
  const cfgDir = tempDir('trex-redteam-cfg-');
  writeFileSync(join(cfgDir, 'trusted-folders.json'), '{"/x": "consent-secret-0006"}');
  process.env.TREX_CONFIG_DIR = cfgDir;
  try {
    await confinedCase(['bash', '-c', `cat ${cfgDir}/trusted-folders.json; echo end`], (out) => assert.ok(!out.includes('consent-secret-0006'), out));
  } finally {
    delete process.env.TREX_CONFIG_DIR;
  }
}, noIsolation);

hostile('node folder symlinks', 'write_file through a symlinked folder', async () => {
  const exp = newExperiment();
  const outside = tempDir();
  mkdirSync(exp.nodePath('n0000', 'work'), { recursive: true });
  symlinkSync(outside, exp.nodePath('n0000', 'work', 'out'));
  const tools = executorTools({ exp, nodeId: 'n0000', settings: testConfig('http://127.0.0.1:9/v1').executor, session: 1, changed: new Set() });
  await assert.rejects(Promise.resolve().then(() => tools.find((t) => t.name === 'write_file')!.run({ path: 'work/out/pwned', content: 'x' }, new AbortController().signal)), /outside the node folder/);
  assert.ok(!existsSync(join(outside, 'pwned')));
});
hostile('node folder symlinks', 'read_file through a symlinked file to ~/.ssh', async () => {
  const undo = plantSecrets();
  try {
    const exp = newExperiment();
    symlinkSync(join(process.env.HOME!, '.ssh', 'id_rsa'), exp.nodePath('n0000', 'notes.md'));
    const tools = executorTools({ exp, nodeId: 'n0000', settings: testConfig('http://127.0.0.1:9/v1').executor, session: 1, changed: new Set() });
    await assert.rejects(Promise.resolve().then(() => tools.find((t) => t.name === 'read_file')!.run({ path: 'notes.md' }, new AbortController().signal)), /outside the node folder/);
  } finally {
    undo();
  }
});
hostile('node folder symlinks', 'a node folder that is itself a link to another node', async () => {
  const exp = newExperiment();
  const tools = executorTools({ exp, nodeId: 'n0000', settings: testConfig('http://127.0.0.1:9/v1').executor, session: 1, changed: new Set() });
  symlinkSync(exp.nodeDir('n0000'), exp.nodePath('n0000', 'self'));
  const listed = await tools.find((t) => t.name === 'list_files')!.run({}, new AbortController().signal);
  assert.match(listed, /self \(symbolic link, not followed\)/);
});
