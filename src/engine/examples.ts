// The example tasks shipped under examples/: a folder with a trex.yaml, or a group folder of
// them (ft-bench/sst2). The CLI's `trex examples` and the editor's New Experiment list the same.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { SPEC_FILE } from './experiment';
import { examplesDir } from './paths';

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
