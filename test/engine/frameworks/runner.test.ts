// The LLM runner's own unit tests (Python unittest in trainer/trex_llm/tests): the recipe runner on
// local files, metrics, the LLaMA-Factory/TRL launch wrapper, lm-eval parsing, and the Hugging Face
// script (which skips, saying why, where transformers/peft are missing).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../../helpers/cli';

// The system python: Debian's python3-torch lives there; a pyenv python3 on PATH may lack it.
const PYTHON = process.env.TREX_PYTHON ?? '/usr/bin/python3';

test('trainer/trex_llm unit tests pass (recipe runner, metrics, launch wrapper, lm-eval, HF script)', (t) => {
  const trainer = join(ROOT, 'trainer');
  const r = spawnSync(PYTHON, ['-m', 'unittest', 'discover', '-v', '-s', join(trainer, 'trex_llm', 'tests'), '-t', trainer], { encoding: 'utf8', timeout: 600_000 });
  assert.equal(r.status, 0, r.stderr.slice(-4000));
  assert.match(r.stderr, /Ran \d+ tests/);
  const skipped = [...r.stderr.matchAll(/\.\.\. skipped ['"](.*)['"]$/gm)].map((m) => m[1]);
  for (const reason of new Set(skipped)) t.diagnostic(`skipped: ${reason}`);
});
