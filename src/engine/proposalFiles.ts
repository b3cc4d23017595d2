// Files a proposal writes into its new node's folder: Python data scripts that a recipe `script`
// step runs. The proposal names them relative to the node folder (its id is not known yet); when
// the node is created they are written there (confined to it) and the recipe's script steps that
// name them are pointed at nodes/<id>/<path>, so the script travels and hashes with the node.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { NodeConfig } from './spec/configPaths';
import { hashJson } from './spec/hash';
import type { Json, JsonObject } from './spec/types';
import type { EdgeChange } from './tree/events';
import { NodeSandbox } from './llm/executorAgent/sandbox';
import { isPlainObject } from './util/isPlainObject';

export interface NodeFile {
  /** Relative to the new node's folder, e.g. "clean.py" or "scripts/clean.py". */
  path: string;
  content: string;
}

export const MAX_NODE_FILES = 3;
export const MAX_NODE_FILE_BYTES = 32 * 1024;

const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
// Folders of a node the engine owns (as the Executor's sandbox): a script never goes there.
const ENGINE_DIRS = new Set(['logs', 'run', 'ckpt']);

/** Why a proposed file cannot be written into a new node's folder (undefined: it can). */
export function nodeFileProblem(f: NodeFile): string | undefined {
  const p = f.path;
  const shown = JSON.stringify(p.slice(0, 80));
  if (p.startsWith('/') || p.startsWith('\\') || /^[A-Za-z]:/.test(p) || p.startsWith('~')) return `${shown} is absolute; give a path relative to the new node's folder, like "clean.py"`;
  const parts = p.split('/');
  if (parts.includes('..')) return `${shown} leaves the new node's folder ('..' is not allowed)`;
  if (parts.length > 2 || !parts.every((s) => SEGMENT.test(s))) return `${shown} is not a plain relative path (letters, digits, _ . -; at most one folder)`;
  if (parts.length === 2 && ENGINE_DIRS.has(parts[0].toLowerCase())) return `${shown} is in ${parts[0]}/, which the engine owns`;
  if (!p.endsWith('.py')) return `${shown} is not a .py file: only Python data scripts may be written`;
  const bytes = Buffer.byteLength(f.content, 'utf8');
  if (bytes > MAX_NODE_FILE_BYTES) return `${shown} is ${bytes} bytes; at most ${MAX_NODE_FILE_BYTES}`;
  if (!f.content.trim()) return `${shown} is empty`;
  return undefined;
}

/** Problems with a proposal's files as a whole (count, duplicates, each file). */
export function nodeFilesProblems(files: readonly NodeFile[]): string[] {
  const problems: string[] = [];
  if (files.length > MAX_NODE_FILES) problems.push(`too many files (${files.length}; at most ${MAX_NODE_FILES})`);
  const seen = new Set<string>();
  for (const f of files) {
    const problem = nodeFileProblem(f);
    if (problem) problems.push(`files: ${problem}`);
    else if (seen.has(f.path)) problems.push(`files: ${JSON.stringify(f.path)} is given twice`);
    seen.add(f.path);
  }
  return problems;
}

/**
 * What makes a proposal new work: its config hash, and the content of the files it writes (two
 * proposals whose steps name the same file may still run different scripts).
 */
export function proposalKey(configHashValue: string, files: readonly NodeFile[] | undefined): string {
  return files?.length ? hashJson({ config: configHashValue, files: files.map((f) => [f.path, f.content]) }) : configHashValue;
}

/** Where a node's own file lives, experiment-relative (the recipe's paths start at the experiment folder). */
export function nodeFilePath(nodeId: string, path: string): string {
  return `nodes/${nodeId}/${path}`;
}

/** `value` with every script step naming one of `paths` pointed at that file in the node's folder. */
function rebase(value: Json, nodeId: string, paths: ReadonlySet<string>): Json {
  if (Array.isArray(value)) return value.map((v) => rebase(v, nodeId, paths));
  if (!isPlainObject(value)) return value;
  if (value.kind === 'script' && typeof value.path === 'string' && paths.has(value.path)) return { ...value, path: nodeFilePath(nodeId, value.path) };
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rebase(v, nodeId, paths)])) as JsonObject;
}

/** The config and changes of a new node with its own files' script steps pointed into its folder. */
export function placeNodeFiles(nodeId: string, files: readonly NodeFile[], config: NodeConfig, changes: readonly EdgeChange[]): { config: NodeConfig; changes: EdgeChange[] } {
  const paths = new Set(files.map((f) => f.path));
  if (paths.size === 0) return { config, changes: [...changes] };
  return {
    config: { recipe: rebase(config.recipe, nodeId, paths) as JsonObject, train: config.train },
    changes: changes.map((c) => (c.path.startsWith('recipe') ? { ...c, to: rebase(c.to as Json, nodeId, paths) } : c)),
  };
}

/** Writes the files into the (new, existing) node folder, each confined to it; throws on a path that is not. */
export function writeNodeFiles(nodeDir: string, files: readonly NodeFile[]): void {
  const sandbox = new NodeSandbox(nodeDir);
  for (const f of files) {
    const problem = nodeFileProblem(f);
    if (problem) throw new Error(`not writing a proposed file: ${problem}`);
    const abs = sandbox.resolve(f.path, 'write');
    mkdirSync(dirname(abs), { recursive: true });
    writeFileSync(abs, f.content, { flag: 'wx' });
  }
}
