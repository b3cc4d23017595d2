// The local files a node's prepare stage reads: file sources of the recipe and the task's eval sets,
// and the recipe's `script` steps. They travel with the stage to remote hosts, and their content is
// part of the data-cache key, so a file changed behind an unchanged recipe is prepared again.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { hashJson } from './spec/hash';
import type { Json, JsonObject, TaskSpec } from './spec/types';
import { isPlainObject } from './util/isPlainObject';

/** Paths (as written: experiment-relative or absolute) of the local files the recipe reads; URLs and HF ids are not files. */
export function recipeLocalPaths(spec: TaskSpec, recipe: JsonObject): string[] {
  const entries: Json[] = [];
  if (Array.isArray(recipe.sources)) entries.push(...recipe.sources);
  const evalData = spec.task.eval_data;
  if (isPlainObject(evalData)) entries.push(evalData.validation ?? null, evalData.test ?? null);
  if (Array.isArray(recipe.filters)) entries.push(...recipe.filters.filter((f) => isPlainObject(f) && f.kind === 'script'));
  const paths = new Set<string>();
  for (const e of entries) {
    if (!isPlainObject(e) || typeof e.path !== 'string' || e.path === '') continue;
    if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(e.path) && !/^[A-Za-z]:[\\/]/.test(e.path)) continue; // a URL
    paths.add(e.path.replace(/^\.\//, ''));
  }
  return [...paths];
}

// Content hashes by path, reused while a file's size and modification time stay the same.
const memo = new Map<string, { stamp: string; hash: string }>();

function fileHash(abs: string): string {
  let st;
  try {
    st = statSync(abs);
  } catch {
    return 'missing';
  }
  if (st.isDirectory()) {
    const h = createHash('sha256');
    for (const name of readdirSync(abs).sort()) h.update(`${name}\0${fileHash(join(abs, name))}\0`);
    return h.digest('hex');
  }
  if (!st.isFile()) return 'not a file';
  const stamp = `${st.size}:${st.mtimeMs}:${st.ctimeMs}:${st.ino}`;
  const known = memo.get(abs);
  if (known?.stamp === stamp) return known.hash;
  const hash = createHash('sha256').update(readFileSync(abs)).digest('hex');
  memo.set(abs, { stamp, hash });
  return hash;
}

/** Content hash of every local file the recipe reads, by path. */
export function dataFileHashes(experimentDir: string, spec: TaskSpec, recipe: JsonObject): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of recipeLocalPaths(spec, recipe)) out[p] = fileHash(isAbsolute(p) ? p : resolve(experimentDir, p));
  return out;
}

/** The data-cache key (cache/data/<key>): the recipe hash and the content of the files it reads. */
export function dataCacheKey(experimentDir: string, spec: TaskSpec, recipe: JsonObject, recipeHash: string): string {
  return hashJson({ recipe: recipeHash, files: dataFileHashes(experimentDir, spec, recipe) });
}
