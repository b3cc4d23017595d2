// Reads a node file for a prompt without trusting its size: a trainer log or stats file written on
// the training machine can be arbitrarily large, and only its head (stats) or tail (logs) matters.
import { closeSync, existsSync, fstatSync, openSync, readSync } from 'node:fs';

/** The first `max` bytes of a file, or its last `max` bytes when `fromEnd`; undefined when missing. */
export function readBounded(path: string, max: number, fromEnd = false): string | undefined {
  if (!existsSync(path)) return undefined;
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const size = fstatSync(fd).size;
    const len = Math.min(size, max);
    const buf = Buffer.alloc(len);
    readSync(fd, buf, 0, len, fromEnd ? size - len : 0);
    return buf.toString('utf8');
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
