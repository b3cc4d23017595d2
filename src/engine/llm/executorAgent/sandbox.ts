// Confines the Executor agent's file access to one node's folder: no absolute paths, no '..',
// no symlink that leads outside, and no writes to what the engine owns (results, logs, run state),
// so an agent can never fake a metric or touch another node.
import { existsSync, lstatSync, realpathSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';

export class SandboxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SandboxError';
  }
}

/** Written only by the engine: results, predictions, the attempt record, run state. */
const READ_ONLY_FILES = new Set(['metrics.json', 'predictions.jsonl', 'data_stats.json', 'executor.jsonl', 'bad_cases.md']);
const READ_ONLY_DIRS = new Set(['logs', 'run', 'ckpt']);

export class NodeSandbox {
  readonly root: string;

  constructor(root: string) {
    this.root = realpathSync(root);
  }

  /** Absolute path of a node-relative path, or SandboxError saying why not. */
  resolve(rel: string, mode: 'read' | 'write'): string {
    if (typeof rel !== 'string' || rel.trim() === '') throw new SandboxError('empty path');
    if (rel.includes('\0')) throw new SandboxError('path contains a NUL byte');
    if (isAbsolute(rel) || /^[A-Za-z]:/.test(rel) || rel.startsWith('\\') || rel.startsWith('~')) throw new SandboxError(`absolute paths are not allowed (${rel.slice(0, 100)}); use a path relative to the node folder`);
    const parts = rel.split(/[\\/]+/).filter((p) => p !== '' && p !== '.');
    if (parts.some((p) => p === '..')) throw new SandboxError(`'..' is not allowed in paths (${rel.slice(0, 100)})`);
    if (parts.length === 0) {
      if (mode === 'write') throw new SandboxError('cannot write to the node folder itself');
      return this.root;
    }
    const abs = join(this.root, ...parts);
    this.assertInside(abs);
    if (mode === 'write') {
      // Compared without case: on a case-insensitive filesystem Metrics.json IS metrics.json.
      const first = parts[0].toLowerCase();
      if (parts.length === 1 && READ_ONLY_FILES.has(first)) throw new SandboxError(`${parts[0]} is written by the engine only`);
      if (READ_ONLY_DIRS.has(first)) throw new SandboxError(`${parts[0]}/ is managed by the engine; write elsewhere (e.g. work/)`);
    }
    return abs;
  }

  relative(abs: string): string {
    return relative(this.root, abs).split(sep).join('/');
  }

  /** The deepest existing ancestor must resolve (through symlinks) to a place inside the root. */
  private assertInside(abs: string): void {
    let probe = abs;
    while (!existsSync(probe) && !isSymlink(probe)) {
      const up = dirname(probe);
      if (up === probe) break;
      probe = up;
    }
    let real: string;
    try {
      real = realpathSync(probe);
    } catch {
      throw new SandboxError('path leads through a broken symbolic link');
    }
    if (real !== this.root && !real.startsWith(this.root + sep)) throw new SandboxError('path leads outside the node folder (symbolic link)');
  }
}

function isSymlink(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}
