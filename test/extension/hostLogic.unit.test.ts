// Plain-Node tests of the extension's vscode-free parts: the log tail behind log tabs (a 100 MB
// log stays cheap), the unified diff of the details pane, the loss curve reader and the
// protocol's envelope checks.
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, openSync, closeSync, readFileSync, writeSync, writeFileSync, ftruncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { LogTail } from '../../src/extension/logs/logTail';
import { revertEdits } from '../../src/extension/experiments/ranConfig';
import { readLossCurve } from '../../src/extension/panel/nodeDetails';
import { unifiedDiff } from '../../src/extension/util/lineDiff';
import { isRequestEnvelope } from '../../webview/protocol';
import { ROOT } from '../helpers/cli';

const dir = mkdtempSync(join(tmpdir(), 'trex-host-'));

test('LogTail reads only appended bytes and follows a growing file', () => {
  const path = join(dir, 'grow.log');
  writeFileSync(path, 'line 1\n');
  const tail = new LogTail(path, 1 << 20);
  assert.equal(tail.poll(), true);
  assert.equal(tail.content(), 'line 1\n');
  assert.equal(tail.poll(), false, 'nothing new');
  appendFileSync(path, 'line 2\npart');
  assert.equal(tail.poll(), true);
  appendFileSync(path, 'ial\n');
  tail.poll();
  assert.equal(tail.content(), 'line 1\nline 2\npartial\n');
  writeFileSync(path, 'rewritten\n');
  tail.poll();
  assert.equal(tail.content(), 'rewritten\n', 'a truncated file starts over');
});

test('LogTail shows the trainer progress lines for people, not as raw JSON', () => {
  const path = join(dir, 'progress.log');
  writeFileSync(path, 'loading\nTREX_PROGRESS {"step": 3, "total": 30, "loss": 1.23456, "epoch": 0.1}\nTREX_PROGRESS not json\ndone\n');
  const tail = new LogTail(path, 1 << 20);
  tail.poll();
  const shown = tail.content();
  assert.equal(shown, 'loading\n[progress] step 3/30 · loss 1.2346 · epoch 0.10\nTREX_PROGRESS not json\ndone\n');
  assert.ok(!/TREX_PROGRESS \{/.test(shown));
});

test('progress lines carry the one-time base-model phase and its seconds, shown for people', () => {
  const path = join(dir, 'setup.log');
  writeFileSync(path, 'TREX_PROGRESS {"phase": "preparing base model micro-gpt (one time)"}\nTREX_PROGRESS {"setup_seconds": 91.25, "phase": "training"}\n');
  const tail = new LogTail(path, 1 << 20);
  tail.poll();
  assert.equal(tail.content(), '[progress] preparing base model micro-gpt (one time)\n[progress] base model ready after 91.3s (one-time, not counted as this run\'s compute)\n');
});

test('LogTail keeps multi-byte characters whole across reads', () => {
  const path = join(dir, 'utf8.log');
  const bytes = Buffer.from('loss ≤ 0.5 ✓\n', 'utf8');
  writeFileSync(path, bytes.subarray(0, 8)); // cuts inside '≤'
  const tail = new LogTail(path, 1 << 20);
  tail.poll();
  appendFileSync(path, bytes.subarray(8));
  tail.poll();
  assert.equal(tail.content(), 'loss ≤ 0.5 ✓\n');
});

test('a 100 MB log shows only its last megabyte, says so, and polls fast', () => {
  const path = join(dir, 'big.log');
  const fd = openSync(path, 'w');
  const line = Buffer.from('step 123456 loss 0.123456 lr 0.000300 epoch 1.0000 ' + 'x'.repeat(60) + '\n');
  const block = Buffer.concat(Array.from({ length: 8192 }, () => line));
  let size = 0;
  while (size < 100 * 2 ** 20) size += writeSync(fd, block);
  closeSync(fd);
  const tail = new LogTail(path, 1 << 20);
  let t0 = performance.now();
  tail.poll();
  const firstMs = performance.now() - t0;
  assert.ok(tail.truncated);
  const shown = tail.content();
  assert.match(shown.split('\n')[0], /^\[TREX\] Showing the last 1\.0 MB of 100\.\d MB/);
  assert.ok(Buffer.byteLength(shown) < 1.1 * 2 ** 20, `shown ${Buffer.byteLength(shown)} bytes`);
  assert.ok(shown.split('\n')[1].startsWith('step '), 'the first shown line is whole');
  appendFileSync(path, 'final line\n');
  t0 = performance.now();
  tail.poll();
  const nextMs = performance.now() - t0;
  assert.ok(tail.content().endsWith('final line\n'));
  console.log(`100 MB log: first poll ${firstMs.toFixed(1)} ms, next poll ${nextMs.toFixed(2)} ms`);
  assert.ok(firstMs < 500 && nextMs < 50, `first ${firstMs} ms, next ${nextMs} ms`);
  const f = openSync(path, 'r+');
  ftruncateSync(f, 0);
  closeSync(f);
});

test('unifiedDiff shows changed lines with context and hunk headers', () => {
  const a = 'sources:\n  - name: a\n    num_examples: 300\nformat:\n  template: plain\n';
  const b = 'sources:\n  - name: a\n    num_examples: 257\nformat:\n  template: plain\nseed: 7\n';
  const d = unifiedDiff(a, b, 'nodes/n0000', 'nodes/n0004');
  assert.match(d, /^--- nodes\/n0000\n\+\+\+ nodes\/n0004\n@@ /);
  assert.match(d, /\n-    num_examples: 300\n\+    num_examples: 257\n/);
  assert.match(d, /\n\+seed: 7/);
  assert.equal(unifiedDiff(a, a, 'x', 'y'), '');
});

test('readLossCurve reads LLaMA-Factory trainer_log.jsonl lines and skips a torn last line', () => {
  const path = join(dir, 'trainer_log.jsonl');
  writeFileSync(path, '{"current_steps": 1, "total_steps": 3, "loss": 4.5}\n{"current_steps": 2, "loss": 3.25, "lr": 0.001}\n{"current_st');
  assert.deepEqual(readLossCurve(path), [
    { step: 1, loss: 4.5 },
    { step: 2, loss: 3.25 },
  ]);
  assert.deepEqual(readLossCurve(join(dir, 'missing.jsonl')), []);
});

test('webview messages are checked before dispatch', () => {
  assert.ok(isRequestEnvelope({ kind: 'request', id: 1, type: 'forkNode', data: { id: 'n0001' } }));
  assert.ok(!isRequestEnvelope({ kind: 'request', id: 1, type: 'deleteEverything', data: {} }));
  assert.ok(!isRequestEnvelope({ kind: 'request', id: '1', type: 'forkNode', data: {} }));
  assert.ok(!isRequestEnvelope(null));
});

test('revertEdits takes the user\'s edits back out without adding defaults the files never had', () => {
  const original = { recipe: { sources: [{ name: 's', kind: 'generator', num_examples: 300 }] }, train: { framework: 'micro', method: 'sft', finetuning: 'full', learning_rate: 0.003, batch_size: 16 } };
  const edited = { recipe: { sources: [{ name: 's', kind: 'generator', num_examples: 300 }], seed: 7 }, train: { learning_rate: 0.003, batch_size: 7 } };
  assert.deepEqual(revertEdits(edited, original), { recipe: { sources: [{ name: 's', kind: 'generator', num_examples: 300 }] }, train: { learning_rate: 0.003, batch_size: 16 } });
});

test('the trex.compute.backend setting accepts every backend form the CLI does', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { contributes: { configuration: { properties: Record<string, { pattern?: string }> } } };
  const pattern = new RegExp(pkg.contributes.configuration.properties['trex.compute.backend'].pattern ?? '');
  for (const ok of ['', 'local', 'ssh:gpu1', 'slurm:login', 'pool:ssh:gpu1,slurm:login,local']) assert.ok(pattern.test(ok), ok);
  for (const bad of ['ssh:', 'pool:', 'gpu1']) assert.ok(!pattern.test(bad), bad);
});
