// Preflight on a real host: it reports what is missing (python, torch, disk) with how to fix it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { BackendError } from '../../../../src/engine/backends/backend';
import { localExperiment, makeBackend } from './helpers';
import { SshdHarness, sshdAvailable } from './sshd';

const skip = sshdAvailable() ? false : 'OpenSSH server (/usr/sbin/sshd) is not installed';
let h: SshdHarness;

before(async () => {
  if (!skip) h = await SshdHarness.start();
});
after(async () => {
  await h?.cleanup();
});

async function preflightError(over: Parameters<typeof makeBackend>[3]): Promise<BackendError> {
  const backend = makeBackend(h, localExperiment(), join(h.dir, 'remote-preflight'), over);
  try {
    await backend.preflight();
  } catch (e) {
    assert.ok(e instanceof BackendError, String(e));
    return e;
  } finally {
    await backend.close();
  }
  assert.fail('preflight passed');
}

/** A python on this machine that cannot import torch (the pyenv python3 on PATH here), if any. */
function pythonWithoutTorch(): string | undefined {
  const r = spawnSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' });
  const exe = r.stdout?.trim();
  if (!exe || spawnSync(exe, ['-c', 'import torch']).status === 0) return undefined;
  return exe;
}

test('a host without the configured python: preflight names the host, the python and the fix', { skip }, async () => {
  const e = await preflightError({ python: '/nonexistent/bin/python3' });
  assert.match(e.message, /trex-test/);
  assert.match(e.message, /no Python with PyTorch/);
  assert.match(e.message, /'\/nonexistent\/bin\/python3' not found/);
  assert.match(e.hint ?? '', /apt-get install python3-torch|pip install torch/);
});

test('a python without torch: preflight reports the import error and how to install torch', { skip: skip || (pythonWithoutTorch() ? false : 'no python without torch here') }, async () => {
  const py = pythonWithoutTorch()!;
  const e = await preflightError({ python: py });
  assert.ok(e.message.includes(`${py} cannot import torch`), e.message);
  assert.match(e.message, /No module named 'torch'/);
  assert.match(e.hint ?? '', /compute\.python/);
});

test('too little free disk in the work dir is reported with the numbers', { skip }, async () => {
  const e = await preflightError({ minFreeMb: 1e12 });
  assert.match(e.message, /only \d+ MB free in .*remote-preflight \(need 1000000000000 MB\)/);
});

test('a healthy host: python, torch and free disk are found; no GPU means the configured slots', { skip }, async () => {
  const backend = makeBackend(h, localExperiment(), join(h.dir, 'remote-ok'), { python: undefined, slots: 3 });
  try {
    await backend.preflight();
    const r = backend.hostReport!;
    assert.ok(r.python && /^\d+\.\d+/.test(r.python.version), JSON.stringify(r.python));
    assert.ok((r.freeMb ?? 0) > 10);
    if (r.gpus.length === 0) assert.equal(backend.capacity, 3);
    else assert.equal(backend.capacity, r.gpus.length);
  } finally {
    await backend.close();
  }
});
