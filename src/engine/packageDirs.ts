// Where the product's own files are (trainer scripts, examples, schemas), wherever it is bundled.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

let root: string | undefined;

export function packageRoot(): string {
  if (root) return root;
  let dir = __dirname;
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'trex-vscode') return (root = dir);
      } catch {
        // keep looking
      }
    }
    const up = dirname(dir);
    if (up === dir) throw new Error(`cannot find the TREX package root above ${__dirname}`);
    dir = up;
  }
}

export const runnerDir = () => join(packageRoot(), 'trainer');
export const examplesDir = () => join(packageRoot(), 'examples');
