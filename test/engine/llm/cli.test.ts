// The CLI path of issue #5: `trex run <dir> --proposer llm` through the fake OpenAI server, and
// the offline fallback when no key is configured.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { CLI, tempDir, testEnv, trex } from '../../helpers/cli';
import { scriptedLlm } from './scriptedLlm';
import { fakeLlmEnv, useFakeServers } from './fakeServers';

const servers = useFakeServers({ research: true });

// Async: the fake server lives in this process, so the CLI must not block our event loop.
function runCli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: testEnv(env) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

test('trex run --proposer llm completes a micro search through the fake server', { timeout: 300_000 }, async () => {
  const dir = join(tempDir(), 'exp');
  assert.equal(trex(['init', dir, '--from', 'addition']).code, 0);
  servers.fake.handler = scriptedLlm(() => dir);
  const env = fakeLlmEnv(servers, 'sk-cli-secret');
  const r = await runCli(['run', dir, '--proposer', 'llm', '--budget', '3', '--policy', 'greedy', '--parallel', '1'], env);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /Proposer: LLM Researcher/);
  assert.match(r.stdout, /Best node: n\d{4}/);
  const status = JSON.parse((await runCli(['status', dir, '--json'], {})).stdout) as { runs: number; tokens: number; costUsd: number; nodes: { id: string; parent: string | null }[] };
  assert.equal(status.runs, 3);
  assert.ok(status.tokens > 0 && status.costUsd > 0, 'token and cost accounting in status');
  assert.match(readFileSync(join(dir, 'research.md'), 'utf8'), /arxiv\.org/);
  assert.match(readFileSync(join(dir, 'nodes', 'n0001', 'plan.md'), 'utf8'), /## Hypothesis/);
  assert.ok(servers.fake.requests.some((q) => q.kind === 'proposals'));
  const human = await runCli(['status', dir], {});
  assert.match(human.stdout, /tokens \(\$/, 'the human status shows tokens and cost');
});

test('with no key, --proposer llm falls back to the offline proposer and says so', { timeout: 300_000 }, async () => {
  const dir = join(tempDir(), 'exp');
  assert.equal(trex(['init', dir, '--from', 'addition']).code, 0);
  const r = await runCli(['run', dir, '--proposer', 'llm', '--budget', '1'], { OPENAI_API_KEY: '', TREX_LLM_API_KEY: '', TREX_LLM_BASE_URL: '', OPENAI_BASE_URL: '' });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /No LLM API key found .* using the offline proposer/);
});

test('trex init --requirement without a key explains what to do', () => {
  const dir = join(tempDir(), 'exp');
  const r = trex(['init', dir, '--requirement', 'classify support tickets'], { OPENAI_API_KEY: '', TREX_LLM_API_KEY: '', TREX_LLM_BASE_URL: '', OPENAI_BASE_URL: '' });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /No LLM API key found/);
  assert.match(r.stderr, /--from <example>/);
});
