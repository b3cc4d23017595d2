// What an ssh or slurm host receives as its trainer folder: both trainers with their entry scripts
// and the protocol package they import, and nothing built locally (bytecode caches).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runtimeFiles } from '../../src/engine/backends/ssh/sync';
import { runnerDir } from '../../src/engine/packageDirs';

test('the runtime upload carries trex_micro, trex_llm and the trex_protocol package they share', () => {
  const names = new Set(runtimeFiles(runnerDir()).files.map((f) => f.name));
  for (const f of ['trainer/trex_micro.py', 'trainer/trex_llm.py', 'trainer/trex_micro/cli.py', 'trainer/trex_llm/cli.py']) assert.ok(names.has(f), f);
  for (const f of ['__init__.py', 'cli.py', 'errors.py', 'fields.py', 'files.py', 'progress.py']) assert.ok(names.has(`trainer/trex_protocol/${f}`), `trex_protocol/${f}`);
  assert.ok(![...names].some((n) => n.includes('__pycache__') || n.endsWith('.pyc')), 'no bytecode caches');
});
