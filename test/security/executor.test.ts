// Red-team cases for the Executor's tools (issue 16, findings 1, 2 and 7): a hostile model cannot
// run code, read outside the node folder, fake a metric or see a secret, and list_files does not
// follow symbolic links out of the node.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { Experiment } from '../../src/engine';
import { resolveLlmConfig } from '../../src/engine/llm';
import { checkArgv, executorTools } from '../../src/engine/llm/executorAgent/tools';
import { cleanupTempDirs, newExperiment, tempDir, testConfig } from '../engine/llm/helpers';
import { testBackend } from '../engine/llm/testBackend';

process.env.TREX_PYTHON ??= '/usr/bin/python3';
after(() => cleanupTempDirs());

async function tools(exp: Experiment, id = 'n0000', withBackend = true) {
  const settings = testConfig('http://127.0.0.1:9/v1').executor;
  const list = executorTools({ exp, nodeId: id, settings, backend: withBackend ? await testBackend(exp.dir) : undefined, session: 1, changed: new Set() });
  const byName = (n: string) => list.find((t) => t.name === n)!;
  const call = async (n: string, args: Record<string, unknown>) => {
    try {
      return await byName(n).run(args, new AbortController().signal);
    } catch (e) {
      return `ERROR ${(e as Error).message}`;
    }
  };
  return { call };
}

test('default settings allow no interpreter: python/python3/{python} are not in allowed_commands', () => {
  const c = resolveLlmConfig(null, {}, { apiKey: 'sk-x-123456' })!;
  for (const p of ['python', 'python3', '{python}', 'bash', 'sh']) assert.ok(!c.executor.allowedCommands.includes(p), p);
});

test('checkArgv: no code, no path outside the node, no engine-owned file, whatever allowed_commands says', () => {
  const wide = ['python3', 'python', '{python}', 'bash', 'sh', 'curl', 'ls', 'cat', 'wc', 'grep', 'head', 'tail'];
  const refused: [string[], RegExp][] = [
    [['python3', '-c', 'print(1)'], /cannot run without OS isolation/],
    [['python', 'work/x.py'], /cannot run without OS isolation/],
    [['{python}', '{runner}/trex_micro.py', 'evaluate', '--out', 'metrics.json'], /cannot run without OS isolation/],
    [['bash', '-c', 'env'], /cannot run without OS isolation/],
    [['curl', 'http://x'], /cannot run without OS isolation/],
    [['wc', '--files0-from=/etc/hostname'], /absolute paths/],
    [['grep', '-f', '/etc/passwd', 'x'], /absolute paths/],
    [['grep', '--file=~/.ssh/id_rsa', 'x'], /absolute paths/],
    [['cat', '{cache}/x'], /placeholders are not allowed/],
    [['cat', '{runner}/trex_micro.py'], /placeholders/],
    [['cat', 'work/../../n0001/recipe.yaml'], /'\.\.'/],
    [['wc', '--files0-from=../x'], /'\.\.'/],
    [['cat', 'a,../b'], /'\.\.'/],
    [['head', 'x:/etc/passwd'], /absolute/],
    [['cat', './metrics.json'], /managed by the engine/],
    [['grep', '-r', 'x', 'run/'], /managed by the engine/],
    [['cat', 'Metrics.json'], /managed by the engine/],
    [['grep', '-f/etc/passwd', 'x'], /separate argument/],
    [['grep', '-f~/.ssh/id_rsa', 'x'], /separate argument/],
    [['tail', '-n1', '--', '/proc/self/environ'], /absolute/],
    [['cat', 'work/x', '/proc/self/environ'], /absolute/],
  ];
  for (const [argv, re] of refused) assert.match(checkArgv(argv, wide) ?? 'ACCEPTED', re, argv.join(' '));
  assert.equal(checkArgv(['cat', 'train.yaml'], wide), undefined);
  assert.equal(checkArgv(['grep', '-n', 'lr=0.1', 'work/notes.txt'], wide), undefined);
  assert.match(checkArgv(['ls'], ['cat'])!, /not an allowed command/, 'settings still narrow');
});

test('run_command: a symlink leading out of the node folder refuses every command; list_files does not follow it', async () => {
  const exp = newExperiment();
  const outside = tempDir();
  writeFileSync(join(outside, 'hostname'), 'secret-host');
  mkdirSync(exp.nodePath('n0000', 'work'), { recursive: true });
  symlinkSync(outside, exp.nodePath('n0000', 'work', 'ln'));
  const { call } = await tools(exp);
  const listed = await call('list_files', {});
  assert.match(listed, /work\/ln \(symbolic link, not followed\)/);
  assert.ok(!listed.includes('hostname'), listed);
  assert.match(await call('list_files', { path: 'work/ln' }), /ERROR .*outside the node folder/);
  const r = await call('run_command', { argv: ['cat', 'work/ln/hostname'] });
  assert.match(r, /ERROR .*symbolic links leading outside/);
  assert.ok(!r.includes('secret-host'));
});

test('run_command: a scrubbed environment, and tool output redacted', async () => {
  const exp = newExperiment();
  process.env.TREX_TEST_API_KEY = 'sk-redteam-env-secret-0001';
  process.env.MY_PASSWORD = 'hunter2-redteam';
  try {
    const { call } = await tools(exp);
    // The agent cannot run `env`; check the stage environment the way a stage would see it, by a file
    // the node owns that the agent reads back: the local backend launches with a scrubbed environment.
    writeFileSync(exp.nodePath('n0000', 'notes.txt'), `key is sk-redteam-env-secret-0001 and hunter2-redteam\n`);
    const r = await call('run_command', { argv: ['cat', 'notes.txt'] });
    assert.match(r, /exit code 0/);
    assert.ok(!r.includes('sk-redteam-env-secret-0001') && !r.includes('hunter2-redteam'), r);
    assert.match(r, /\[REDACTED\]/);
    const read = await call('read_file', { path: 'notes.txt' });
    assert.ok(!read.includes('sk-redteam') && !read.includes('hunter2'), read);
  } finally {
    delete process.env.TREX_TEST_API_KEY;
    delete process.env.MY_PASSWORD;
  }
});

test('a stage launched by the local backend does not inherit credentials', async () => {
  const exp = newExperiment();
  process.env.OPENAI_API_KEY = 'sk-redteam-stage-env-0002';
  process.env.AWS_SECRET_ACCESS_KEY = 'aws-redteam-0002';
  process.env.GITHUB_TOKEN = 'ghp_redteam0002';
  try {
    const backend = await testBackend(exp.dir);
    const { runJobToEnd } = await import('../../src/engine/llm/executorAgent/jobs');
    const r = await runJobToEnd(backend, { runDir: 'nodes/n0000/run/envcheck', argv: ['env'], env: { SOME_TOKEN: 'tok-redteam-0002', OK_VAR: 'fine' }, inputs: [], outputs: [], label: 'env check' }, 30_000);
    assert.equal(r.exitCode, 0);
    assert.match(r.output, /OK_VAR=fine/);
    for (const s of ['sk-redteam-stage-env-0002', 'aws-redteam-0002', 'ghp_redteam0002', 'tok-redteam-0002', 'SSH_AUTH_SOCK=']) assert.ok(!r.output.includes(s), s);
    const log = readFileSync(exp.nodePath('n0000', 'run', 'envcheck', 'output.log'), 'utf8');
    assert.ok(!log.includes('sk-redteam'), 'the output log has no key');
    assert.ok(existsSync(exp.nodePath('n0000', 'run', 'envcheck')));
  } finally {
    delete process.env.OPENAI_API_KEY;
    delete process.env.AWS_SECRET_ACCESS_KEY;
    delete process.env.GITHUB_TOKEN;
  }
});

test('run_command under OS isolation: the Executor may run an interpreter the user allowed, confined to the node', async (t) => {
  const { detectIsolation } = await import('../../src/engine/sandbox');
  if (detectIsolation() === 'none') return t.skip('no OS isolation on this machine: only inspection commands run (tested above)');
  const exp = newExperiment();
  const outside = tempDir();
  process.env.TREX_EXEC_TEST_API_KEY = 'sk-exec-confined-secret-0003';
  try {
    const settings = { ...testConfig('http://127.0.0.1:9/v1').executor, allowedCommands: ['python3', 'ls'] };
    const list = executorTools({ exp, nodeId: 'n0000', settings, backend: await testBackend(exp.dir), session: 1, changed: new Set() });
    const run = list.find((x) => x.name === 'run_command')!;
    const script = [
      'import os',
      `for p in ['metrics.json', 'recipe.yaml', '${outside}/x', '../n0001/metrics.json']:`,
      '    try:',
      '        open(p, "w").write("{}"); print("WROTE", p)',
      '    except OSError as e: print("refused", p, e.strerror)',
      'open("work/scratch.txt", "w").write("ok")',
      'print(os.environ.get("TREX_EXEC_TEST_API_KEY", "no-key"))',
    ].join('\n');
    const out = await run.run({ argv: ['python3', '-c', script] }, new AbortController().signal);
    assert.match(out, /exit code 0/, out);
    assert.ok(!out.includes('WROTE'), out);
    assert.match(out, /no-key/);
    assert.ok(!out.includes('sk-exec-confined'));
    assert.ok(!existsSync(exp.nodePath('n0000', 'metrics.json')) && !existsSync(join(outside, 'x')));
    assert.equal(readFileSync(exp.nodePath('n0000', 'work', 'scratch.txt'), 'utf8'), 'ok');
    await assert.rejects(run.run({ argv: ['bash', '-c', 'true'] }, new AbortController().signal), /not an allowed command/);
  } finally {
    delete process.env.TREX_EXEC_TEST_API_KEY;
  }
});
