// Temp folders for tests, removed when the test process exits (TREX_KEEP_TEST_DIRS=1 keeps them
// for a look after a failure).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made: string[] = [];
process.on('exit', () => {
  if (!process.env.TREX_KEEP_TEST_DIRS) cleanupTempDirs();
});

export function tempDir(prefix = 'trex-test-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  made.push(d);
  return d;
}

/** Removes the folders made so far (a file's `after` hook may call it early). */
export function cleanupTempDirs(): void {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
}
