// The local backend's default python is the trainer venv (.venv-trainer, made by .ci/setup.sh)
// when it exists; compute.python and TREX_PYTHON still override it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { findTorchPython, trainerVenvPython } from '../../../src/engine/backends/python';
import { ROOT } from '../../helpers/cli';

const VENV = join(ROOT, '.venv-trainer', 'bin', 'python');

test('the trainer venv is found at the package root when it exists', () => {
  assert.equal(trainerVenvPython(), existsSync(VENV) ? VENV : undefined);
});

test('without overrides the venv python is used; compute.python wins over it', { skip: existsSync(VENV) ? false : `no trainer venv at ${VENV}: run .ci/setup.sh` }, async () => {
  const saved = process.env.TREX_PYTHON;
  delete process.env.TREX_PYTHON;
  try {
    assert.equal(await findTorchPython(), VENV);
    // Another python with torch (Debian's python3-torch) given as compute.python / TREX_PYTHON wins.
    const other = '/usr/bin/python3';
    if (spawnSync(other, ['-c', 'import torch']).status === 0) {
      assert.equal(await findTorchPython(other), other, 'compute.python wins');
      process.env.TREX_PYTHON = other;
      assert.equal(await findTorchPython(), other, 'TREX_PYTHON wins');
    }
  } finally {
    if (saved === undefined) delete process.env.TREX_PYTHON;
    else process.env.TREX_PYTHON = saved;
  }
});
