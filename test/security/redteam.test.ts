// The red-team suite (issue 16): every hostile case of the case table runs as its own test; the
// last test prints how many ran and fails unless every one that ran held.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { cleanupTempDirs } from '../engine/llm/helpers';
import { CASES, held } from './redteam/table';
import './redteam/executor.cases';
import './redteam/data.cases';
import './redteam/tree.cases';
import './redteam/records.cases';
import { stopSshd } from './redteam/ssh.cases';

process.env.TREX_PYTHON ??= '/usr/bin/python3';
after(async () => {
  await stopSshd();
  cleanupTempDirs();
});

for (const c of CASES) {
  test(`[${c.category}] ${c.name}`, { skip: c.skip || false }, async () => {
    await c.run();
    held.add(`${c.category}/${c.name}`);
  });
}

test('red-team summary: every case that ran held', () => {
  const ran = CASES.filter((c) => !c.skip);
  const skipped = CASES.length - ran.length;
  const failed = ran.filter((c) => !held.has(`${c.category}/${c.name}`));
  process.stdout.write(`red-team: ${ran.length} hostile cases ran, ${ran.length - failed.length} held${skipped ? `, ${skipped} skipped (machine lacks isolation or sshd)` : ''}\n`);
  assert.equal(failed.length, 0, `did not hold: ${failed.map((c) => c.name).join('; ')}`);
  assert.ok(CASES.length >= 40, `${CASES.length} cases registered`);
});
