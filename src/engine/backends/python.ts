// Finds a Python that can import torch: the training stages need one, and a Debian machine
// often has several pythons on PATH of which only the system one has python3-torch.
// Order: compute.python, TREX_PYTHON, the trainer venv that `.ci/setup.sh` creates at the
// package root (.venv-trainer: torch, transformers, peft, trl, llamafactory, lm-eval), then PATH.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../packageDirs';
import { BackendError } from './backend';

const cache = new Map<string, string>();

function check(python: string): Promise<boolean> {
  return new Promise((resolve) => {
    execFile(python, ['-c', 'import torch'], { timeout: 60_000 }, (err) => resolve(!err));
  });
}

/** The python of the trainer venv at the package root, when it exists. */
export function trainerVenvPython(): string | undefined {
  let root: string;
  try {
    root = packageRoot();
  } catch {
    return undefined;
  }
  const python = join(root, '.venv-trainer', 'bin', 'python');
  return existsSync(python) ? python : undefined;
}

/** The pythons tried, in order; the first that imports torch runs the stages. */
export function torchPythonCandidates(preferred?: string): string[] {
  return [preferred, process.env.TREX_PYTHON, trainerVenvPython(), 'python3', '/usr/bin/python3', 'python'].filter((c): c is string => !!c);
}

export async function findTorchPython(preferred?: string): Promise<string> {
  const candidates = torchPythonCandidates(preferred);
  const key = candidates.join('|');
  const hit = cache.get(key);
  if (hit) return hit;
  for (const c of candidates) {
    if (await check(c)) {
      cache.set(key, c);
      return c;
    }
  }
  throw new BackendError(
    `no Python with PyTorch found (tried ${candidates.join(', ')})`,
    'Run `.ci/setup.sh` (it creates .venv-trainer with the pinned trainer packages), or `pip install -r trainer/requirements.txt`; or point TREX_PYTHON (or compute.python) at a python that has torch.',
  );
}
