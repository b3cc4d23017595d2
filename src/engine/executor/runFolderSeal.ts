// The files the engine renders into nodes/<id>/run/ before a node's stages run (task.json,
// recipe.json, train.json, the framework configs) are what the stages execute. The seal keeps the
// sha256 of each as written, so a stage does not start on a file that something else (an agent
// command, a data script of an earlier stage, another process) changed after the render.
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../store/atomicWrite';
import type { RenderedFile } from '../frameworks/types';
import { fileSha256 } from './metrics';

export class RunFolderSeal {
  private readonly hashes = new Map<string, string>();

  constructor(private readonly experimentDir: string) {}

  /** Writes each file (experiment-relative path) and records what was written. */
  write(files: RenderedFile[]): void {
    for (const f of files) {
      const abs = join(this.experimentDir, f.path);
      mkdirSync(dirname(abs), { recursive: true });
      writeFileAtomic(abs, f.content);
      this.hashes.set(f.path, createHash('sha256').update(f.content).digest('hex'));
    }
  }

  /** Why a stage must not start (a rendered file changed or removed since it was written), or undefined. */
  problem(): string | undefined {
    const changed = [...this.hashes].filter(([path, sha]) => fileSha256(join(this.experimentDir, path)) !== sha).map(([path]) => path);
    if (!changed.length) return undefined;
    return `${changed.join(', ')} changed after the engine wrote ${changed.length > 1 ? 'them' : 'it'}; the stage was not started (run the node again to render it afresh)`;
  }
}
