// The example tasks shipped under examples/: a folder with a trex.yaml, or a group folder of
// them (ft-bench/sst2). The CLI's `trex examples` and the editor's New Experiment list the same.
import { copyFileSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { initExperiment, SPEC_FILE } from './experiment';
import { examplesDir } from './packageDirs';

export interface ExampleTask {
  /** "addition", or "ft-bench/sst2" inside a group. */
  name: string;
  /** The spec's first comment line. */
  summary: string;
}

export function listExamples(): ExampleTask[] {
  const dir = examplesDir();
  if (!existsSync(dir)) return [];
  const names: string[] = [];
  for (const n of readdirSync(dir)) {
    if (existsSync(join(dir, n, SPEC_FILE))) names.push(n);
    else if (statSync(join(dir, n)).isDirectory()) {
      for (const m of readdirSync(join(dir, n))) if (existsSync(join(dir, n, m, SPEC_FILE))) names.push(`${n}/${m}`);
    }
  }
  return names.sort().map((name) => {
    const first = readFileSync(join(dir, name, SPEC_FILE), 'utf8').split('\n').find((l) => l.startsWith('#'));
    return { name, summary: first?.replace(/^#\s*/, '') ?? '' };
  });
}

/** The example's trex.yaml text, or an error that lists what exists. */
export function readExample(name: string): { text: string; fileName: string } {
  const known = listExamples();
  if (!known.some((e) => e.name === name)) throw new Error(`no example '${name}'; available: ${known.map((e) => e.name).join(', ') || 'none'}`);
  return { text: readFileSync(join(examplesDir(), name, SPEC_FILE), 'utf8'), fileName: `examples/${name}/${SPEC_FILE}` };
}

/** A new experiment from an example: its trex.yaml and the data files next to it (the local
 * sources the spec names). Symlinks are refused, so nothing outside the example is copied. */
export function initFromExample(dir: string, name: string): void {
  const example = readExample(name);
  const source = join(examplesDir(), name);
  const files = exampleDataFiles(source);
  initExperiment(dir, example.text, example.fileName);
  for (const f of files) {
    const to = resolve(dir, f);
    if (relative(resolve(dir), to).startsWith('..')) throw new Error(`examples/${name}/${f}: outside the example`);
    mkdirSync(resolve(to, '..'), { recursive: true });
    copyFileSync(join(source, f), to);
  }
}

/** The example's files besides trex.yaml, relative to its folder; throws on a symlink. */
function exampleDataFiles(root: string, sub = ''): string[] {
  const out: string[] = [];
  for (const n of readdirSync(join(root, sub)).sort()) {
    const rel = sub ? `${sub}/${n}` : n;
    if (rel === SPEC_FILE) continue;
    const st = lstatSync(join(root, rel));
    if (st.isSymbolicLink()) throw new Error(`${join(root, rel)}: a symlink in an example is not copied (it could point anywhere)`);
    if (st.isDirectory()) {
      if (existsSync(join(root, rel, SPEC_FILE))) continue; // a nested example of a group
      out.push(...exampleDataFiles(root, rel));
    } else if (st.isFile()) out.push(rel);
  }
  return out;
}
