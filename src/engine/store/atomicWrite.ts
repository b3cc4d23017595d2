// A file is replaced whole or not at all: readers (the editor, another process) never see half of it.
import { renameSync, writeFileSync } from 'node:fs';

export function writeFileAtomic(path: string, data: string | Buffer): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}
