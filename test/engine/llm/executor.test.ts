import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { stringify } from 'yaml';
import type { Experiment } from '../../../src/engine';
import { analyzeBadCases, errorPattern, readExecutorRecords, runCheapChecks, runExecutorAgent } from '../../../src/engine/llm';
import { NodeSandbox } from '../../../src/engine/llm/executorAgent/sandbox';
import { checkArgv } from '../../../src/engine/llm/executorAgent/tools';
import { useFakeServers } from './fakeServers';
import { cleanupTempDirs, newExperiment, tempDir, testConfig } from './helpers';
import { testBackend } from './testBackend';

process.env.TREX_PYTHON ??= '/usr/bin/python3';
const servers = useFakeServers({ research: false });

const backendFor = (exp: Experiment) => testBackend(exp.dir, tempDir());

test('the sandbox confines paths to the node folder and protects engine-owned files', () => {
  const root = join(tempDir(), 'n0001');
  mkdirSync(join(root, 'work'), { recursive: true });
  const outside = tempDir();
  writeFileSync(join(outside, 'secret.txt'), 'x');
  symlinkSync(outside, join(root, 'escape'));
  symlinkSync(join(root, 'work'), join(root, 'inside-link'));
  const sb = new NodeSandbox(root);
  assert.equal(sb.resolve('recipe.yaml', 'write'), join(sb.root, 'recipe.yaml'));
  assert.equal(sb.resolve('work/new/dir/x.py', 'write'), join(sb.root, 'work/new/dir/x.py'));
  assert.equal(sb.resolve('inside-link/a.txt', 'write'), join(sb.root, 'inside-link/a.txt'));
  const refuse = (p: string, mode: 'read' | 'write', re: RegExp) => assert.throws(() => sb.resolve(p, mode), re, p);
  refuse('/etc/passwd', 'read', /absolute paths are not allowed/);
  refuse('C:\\Windows', 'read', /absolute/);
  refuse('~/.ssh/id_rsa', 'read', /absolute/);
  refuse('../n0002/recipe.yaml', 'read', /'\.\.' is not allowed/);
  refuse('work/../../x', 'write', /'\.\.' is not allowed/);
  refuse('escape/secret.txt', 'read', /outside the node folder/);
  refuse('escape/new.txt', 'write', /outside the node folder/);
  refuse('metrics.json', 'write', /written by the engine only/);
  refuse('predictions.jsonl', 'write', /engine only/);
  refuse('executor.jsonl', 'write', /engine only/);
  refuse('logs/train.log', 'write', /managed by the engine/);
  refuse('ckpt/model.pt', 'write', /managed by the engine/);
  refuse('', 'read', /empty path/);
  refuse('a\0b', 'read', /NUL/);
  assert.equal(sb.resolve('metrics.json', 'read'), join(sb.root, 'metrics.json'));
});

test('commands: only allowed programs, no paths outside the node folder', () => {
  const allowed = ['{python}', 'ls'];
  assert.equal(checkArgv(['ls', '-l', '--color=never', 'work/x'], allowed), undefined);
  assert.match(checkArgv(['{python}', 'work/fix.py', '--out=work/x'], allowed)!, /without OS isolation/);
  assert.match(checkArgv(['rm', '-rf', 'x'], allowed)!, /not an allowed command/);
  assert.match(checkArgv(['ls', '/etc'], allowed)!, /absolute paths/);
  assert.match(checkArgv(['ls', '../..'], allowed)!, /'\.\.' is not allowed/);
  assert.match(checkArgv(['ls', '--dir=../x'], allowed)!, /'\.\.'/);
  assert.match(checkArgv(['ls', '{runner}/../x.py'], allowed)!, /placeholders/);
  assert.match(checkArgv([], allowed)!, /empty/);
});

test('cheap checks: a good config passes in seconds; one the trainer rejects fails with the reason', async () => {
  const exp = newExperiment();
  const backend = await backendFor(exp);
  const ok = await runCheapChecks(exp, 'n0000', backend, { examples: 16, steps: 3, timeoutMs: 60_000 });
  assert.ok(ok.ok, ok.reason);
  assert.equal(ok.stage, 'done');
  const trainJson = JSON.parse(readFileSync(join(exp.dir, 'nodes/n0000/run/check/train.json'), 'utf8')) as { max_steps: number };
  assert.equal(trainJson.max_steps, 3);
  const recipeJson = JSON.parse(readFileSync(join(exp.dir, 'nodes/n0000/run/check/recipe.json'), 'utf8')) as { sources: { num_examples: number }[] };
  assert.equal(recipeJson.sources[0].num_examples, 16);
  // max_seq_len passes the schema but the micro trainer allows at most 128.
  const train = { ...exp.readNodeConfig('n0000').train, max_seq_len: 512 };
  writeFileSync(exp.nodePath('n0000', 'train.yaml'), stringify(train));
  const bad = await runCheapChecks(exp, 'n0000', backend, { examples: 16, steps: 3, timeoutMs: 60_000 });
  assert.equal(bad.ok, false);
  assert.equal(bad.stage, 'train');
  assert.match(bad.reason!, /train on a small sample failed: exit code 2: .*max_seq_len/);
  writeFileSync(exp.nodePath('n0000', 'train.yaml'), 'learning_rate: [oops');
  const cfg = await runCheapChecks(exp, 'n0000', backend);
  assert.equal(cfg.stage, 'config');
  const records = readExecutorRecords(exp, 'n0000').filter((r) => r.kind === 'cheap_check');
  assert.deepEqual(records.map((r) => r.ok), [true, false, false]);
});

test('the Executor debugs a failed node with tools, its fix is verified, and every step is recorded', async () => {
  const exp = newExperiment();
  const root = exp.readNodeConfig('n0000');
  const badTrain = { ...root.train, max_seq_len: 512, learning_rate: 0.002 };
  const id = exp.createNode({ parent: 'n0000', origin: 'proposer', title: 'long sequences', plan: '# long', config: { recipe: root.recipe, train: badTrain }, changes: [] });
  mkdirSync(exp.nodePath(id, 'logs'), { recursive: true });
  writeFileSync(exp.nodePath(id, 'logs', 'train.log'), 'trex_micro train: invalid input: max_seq_len: must be in [8, 128], got 512\n');
  exp.emit({ type: 'node_failed', id, stage: 'train', reason: 'exit code 2: trex_micro train: invalid input: max_seq_len: must be in [8, 128], got 512', logTail: '' });
  const fixedTrain = stringify({ ...badTrain, max_seq_len: 128 });
  servers.fake.reply(
    { toolCalls: [{ name: 'read_log', arguments: { stage: 'train' } }, { name: 'read_file', arguments: { path: 'train.yaml' } }] },
    { toolCalls: [{ name: 'read_file', arguments: { path: '../n0000/train.yaml' } }, { name: 'write_file', arguments: { path: 'metrics.json', content: '{"validation": {"exact_match": 1}}' } }] },
    { toolCalls: [{ name: 'write_file', arguments: { path: 'train.yaml', content: 'learning_rate: 7' } }] },
    { toolCalls: [{ name: 'run_command', arguments: { argv: ['rm', '-rf', '/'] } }, { name: 'run_command', arguments: { argv: ['ls', '-1'] } }] },
    { toolCalls: [{ name: 'write_file', arguments: { path: 'train.yaml', content: fixedTrain } }, { name: 'cheap_check', arguments: {} }] },
    { toolCalls: [{ name: 'finish', arguments: { status: 'fixed', summary: 'max_seq_len 512 exceeds the trainer limit of 128; set it to 128.', changed_files: ['train.yaml'] } }] },
  );
  const n0 = servers.fake.requests.length;
  const out = await runExecutorAgent(exp, id, testConfig(servers.fake.baseURL), { backend: await backendFor(exp), mode: 'debug' });
  assert.equal(out.status, 'fixed', out.summary);
  assert.equal(out.verified?.ok, true);
  assert.deepEqual(out.changedFiles, ['train.yaml']);
  assert.equal(exp.readNodeConfig(id).train.max_seq_len, 128);
  assert.ok(!existsSync(exp.nodePath(id, 'metrics.json')), 'no fabricated results');
  // Each tool result reached the model in full once; later requests send older ones as one-line summaries.
  const sent = servers.fake.requests.slice(n0).map((r) => r.body.messages.filter((m) => m.role === 'tool').map((m) => String(m.content)));
  const seen = sent.flat().join('\n');
  const last = sent[sent.length - 1];
  assert.match(last[0], /^\[earlier result of read_log\(\{"stage":"train"\}\): \d+ characters, beginning "trex_micro train: invalid input: max_seq_len/);
  assert.ok(last.length >= 8 && last.filter((t) => t.startsWith('[earlier result of ')).length === last.length - 2, 'all but the newest two results are summarised');
  assert.match(seen, /must be in \[8, 128\], got 512/);
  assert.match(seen, /'\.\.' is not allowed/);
  assert.match(seen, /metrics\.json is written by the engine only/);
  assert.match(seen, /NOT written: train\.yaml is invalid/);
  assert.match(seen, /'rm' is not an allowed command/);
  assert.match(seen, /exit code 0\n--- output \(tail\) ---\n[\s\S]*train\.yaml/);
  assert.match(seen, /cheap check passed/);
  const recs = readExecutorRecords(exp, id);
  assert.equal(recs[0].kind, 'session_start');
  assert.equal(recs[recs.length - 1].kind, 'session_end');
  assert.equal(recs[recs.length - 1].status, 'fixed');
  assert.ok(recs.filter((r) => r.kind === 'step').length >= 9);
  assert.equal(recs.filter((r) => r.kind === 'cheap_check').length, 1, "the check runs once per fix: the verification reuses the agent's own check of the same files");
  assert.equal(recs.find((r) => r.kind === 'verification')?.reusedCheck, true);
  assert.ok(!readFileSync(exp.nodePath(id, 'executor.jsonl'), 'utf8').includes('sk-test'), 'no key in records');
  assert.ok(exp.tree.usage.tokens > 0, 'executor usage went into the tree');
});

test('the Executor is bounded: sessions per node, steps, and a false claim of a fix is caught', async () => {
  const exp = newExperiment();
  const root = exp.readNodeConfig('n0000');
  const id = exp.createNode({ parent: 'n0000', origin: 'proposer', title: 'bad', plan: '#', config: { recipe: root.recipe, train: { ...root.train, max_seq_len: 999 } }, changes: [] });
  exp.emit({ type: 'node_failed', id, stage: 'train', reason: 'exit code 2', logTail: '' });
  const config = testConfig(servers.fake.baseURL);
  config.executor.maxSessions = 2;
  config.executor.maxSteps = 3;
  servers.fake.reply({ toolCalls: [{ name: 'finish', arguments: { status: 'fixed', summary: 'all good', changed_files: [] } }] });
  const lie = await runExecutorAgent(exp, id, config, { backend: await backendFor(exp), mode: 'debug' });
  assert.equal(lie.status, 'not_fixed');
  assert.match(lie.summary, /cheap check still fails: train on a small sample failed/);
  servers.fake.handler = () => ({ toolCalls: [{ name: 'list_files', arguments: {} }] });
  const loop = await runExecutorAgent(exp, id, config, { backend: await backendFor(exp), mode: 'debug' });
  servers.fake.handler = undefined;
  assert.equal(loop.status, 'error');
  assert.match(loop.summary, /max_steps.*no finish within 3 steps/);
  const n = servers.fake.requests.length;
  const third = await runExecutorAgent(exp, id, config, { backend: await backendFor(exp), mode: 'debug' });
  assert.equal(third.status, 'limit');
  assert.equal(servers.fake.requests.length, n, 'no call once the sessions are used up');
});

test('bad-case analysis: validation errors grouped and sampled, test split ignored, model analysis added', async () => {
  const exp = newExperiment();
  const rows = [
    { split: 'validation', prompt: '123+456=', expected: '579', predicted: '579', correct: true },
    { split: 'validation', prompt: '999+1=', expected: '1000', predicted: '100', correct: false },
    { split: 'validation', prompt: '500+500=', expected: '1000', predicted: '1001', correct: false },
    { split: 'validation', prompt: '111+111=', expected: '222', predicted: '', correct: false },
    { split: 'test', prompt: 'SECRET-TEST-PROMPT', expected: '1', predicted: '2', correct: false },
  ];
  writeFileSync(exp.nodePath('n0000', 'predictions.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n') + '\n{not json\n');
  servers.fake.reply({ json: { summary: 'Carries into a new digit are lost.', likely_causes: ['too few carry examples'], suggestions: ['use the reversed template'] } });
  const r = await analyzeBadCases(exp, 'n0000', testConfig(servers.fake.baseURL));
  assert.ok(r);
  assert.equal(r.total, 4);
  assert.equal(r.wrong, 3);
  const md = readFileSync(exp.nodePath('n0000', 'bad_cases.md'), 'utf8');
  assert.match(md, /3 of 4 predictions wrong \(25\.0% correct\)/);
  assert.match(md, /cut short \(a prefix of the answer\): 1/);
  assert.match(md, /one character wrong: 1/);
  assert.match(md, /empty prediction: 1/);
  assert.match(md, /Carries into a new digit are lost/);
  assert.match(md, /1 unreadable line/);
  assert.doesNotMatch(md, /SECRET-TEST-PROMPT/);
  assert.doesNotMatch(servers.fake.requests[servers.fake.requests.length - 1].lastMessage, /SECRET-TEST-PROMPT/);
  assert.equal(errorPattern('579', '5790'), 'extra text after the answer');
  // Without a model, the computed part is still written.
  servers.fake.reply({ status: 500 });
  const r2 = await analyzeBadCases(exp, 'n0000', testConfig(servers.fake.baseURL));
  assert.match(r2!.llmNote!, /analysis by the model unavailable: http: HTTP 500/);
  assert.equal(await analyzeBadCases(exp, 'n0001' as string).catch(() => null), null);
});
