// The micro trainer's own unit tests (Python unittest, trainer/test_trex_micro.py), run under the test
// runner. The LLM runner's tests (trainer/trex_llm/tests) run once, from test/engine/frameworks/runner.test.ts.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { findTorchPython } from '../../src/engine/backends/python';
import { ROOT } from '../helpers/cli';

test('micro trainer unit tests pass (generators, filters, templates, logs, metrics)', async () => {
  const python = await findTorchPython();
  const r = spawnSync(python, ['-m', 'unittest', 'discover', '-s', join(ROOT, 'trainer'), '-t', join(ROOT, 'trainer'), '-p', 'test_trex_micro.py'], { encoding: 'utf8', timeout: 300_000 });
  assert.equal(r.status, 0, r.stderr.slice(-4000));
  assert.match(r.stderr, /Ran \d+ tests/);
  assert.match(r.stderr, /\nOK/);
});
