// Which data sources a model (the Researcher's proposals, the Executor's recipe.yaml) may name: files
// under the experiment's data/ folder or a user-allowlisted prefix (trex.yaml data_policy.allow_paths),
// http(s) URLs on user-allowlisted hosts (data_policy.allow_hosts), and Hugging Face dataset ids.
// A source the parent node already had (the user's baseline, or one already accepted) is not
// re-judged. Refused at proposal / write time with the reason.
import { existsSync, realpathSync } from 'node:fs';
import { isAbsolute, join, normalize, resolve, sep } from 'node:path';
import type { Json, JsonObject, TaskSpec } from './spec/types';
import type { EdgeChange } from './tree/events';
import { isPlainObject } from './util/isPlainObject';

const NODE_SCRIPT = /^nodes\/n\d+\/([A-Za-z0-9_][A-Za-z0-9_.-]*\/)?[A-Za-z0-9_][A-Za-z0-9_.-]*\.py$/;
const HF_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]*(\/[A-Za-z0-9][A-Za-z0-9_.-]*)?$/;

function sourcesOf(recipe: unknown): JsonObject[] {
  const s = recipe && typeof recipe === 'object' ? (recipe as { sources?: Json }).sources : undefined;
  return Array.isArray(s) ? (s.filter(isPlainObject) as JsonObject[]) : [];
}

function inside(path: string, root: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);
}

/**
 * Problems with the sources of `recipe` that `parentRecipe` did not already have (empty: all allowed).
 * `nodeFiles`: paths of files the proposal itself writes into its new node's folder (proposalFiles.ts);
 * script steps naming them are the node's own scripts, not data from elsewhere.
 */
export function checkProposedSources(experimentDir: string, spec: TaskSpec, parentRecipe: unknown, recipe: unknown, nodeFiles: ReadonlySet<string> = new Set()): string[] {
  const known = new Set(sourcesOf(parentRecipe).map((s) => JSON.stringify([s.path ?? null, s.dataset ?? null])));
  const policy = spec.data_policy ?? {};
  const expDir = resolve(experimentDir);
  const roots = [join(expDir, 'data'), ...(policy.allow_paths ?? []).map((p) => resolve(expDir, p))];
  const hosts = (policy.allow_hosts ?? []).map((h) => h.toLowerCase());
  const problems: string[] = [];
  for (const [i, s] of sourcesOf(recipe).entries()) {
    if (known.has(JSON.stringify([s.path ?? null, s.dataset ?? null]))) continue;
    const where = `recipe.sources.${i}`;
    if (s.path !== undefined && s.path !== null) {
      const p = String(s.path);
      const problem = checkPath(p, expDir, roots, hosts);
      if (problem) problems.push(`${where}.path: ${problem}`);
    }
    if (s.dataset !== undefined && s.dataset !== null) {
      const d = String(s.dataset);
      if (!HF_ID.test(d) || d.split('/').includes('..')) problems.push(`${where}.dataset: '${d.slice(0, 80)}' is not a Hugging Face dataset id (owner/name)`);
    }
  }
  return [...problems, ...checkProposedScripts(expDir, parentRecipe, recipe, nodeFiles)];
}

function scriptsOf(recipe: unknown): { index: number; path: unknown }[] {
  const f = recipe && typeof recipe === 'object' ? (recipe as { filters?: Json }).filters : undefined;
  if (!Array.isArray(f)) return [];
  return f.flatMap((step, index) => (isPlainObject(step) && step.kind === 'script' ? [{ index, path: step.path }] : []));
}

/** A script step the parent did not have must name a .py file under the experiment's data/ (never a URL or allow_paths). */
function checkProposedScripts(expDir: string, parentRecipe: unknown, recipe: unknown, nodeFiles: ReadonlySet<string>): string[] {
  const known = new Set<unknown>([...scriptsOf(parentRecipe).map((s) => s.path), ...nodeFiles]);
  const problems: string[] = [];
  for (const { index, path } of scriptsOf(recipe)) {
    if (known.has(path)) continue;
    const where = `recipe.filters.${index}.path`;
    if (typeof path !== 'string' || !path.endsWith('.py')) {
      problems.push(`${where}: a script step needs a .py file under the experiment's data/ folder`);
      continue;
    }
    if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(path)) {
      problems.push(`${where}: '${path.slice(0, 80)}' is not a local file; a script must be a file under data/`);
      continue;
    }
    const problem = checkPath(path, expDir, [join(expDir, 'data')], []);
    if (problem) problems.push(`${where}: ${problem}`);
  }
  return problems;
}

function checkPath(p: string, expDir: string, roots: string[], hosts: string[]): string | undefined {
  if (p.includes('\0')) return 'contains a NUL byte';
  if (/^https?:\/\//i.test(p)) {
    let host: string;
    try {
      host = new URL(p).hostname.toLowerCase();
    } catch {
      return `'${p.slice(0, 80)}' is not a valid URL`;
    }
    if (!hosts.includes(host)) return `URL host '${host}' is not in trex.yaml data_policy.allow_hosts (${hosts.join(', ') || 'none'}); a proposal may only download from hosts the user allowed`;
    return undefined;
  }
  if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(p) && !/^[A-Za-z]:[\\/]/.test(p)) return `'${p.slice(0, 80)}': only files under data/ and http(s) URLs on allowed hosts may be proposed`;
  if (p.split(/[\\/]+/).includes('..')) return `'..' is not allowed in a proposed data path (${p.slice(0, 80)})`;
  if (p.startsWith('~')) return `'${p.slice(0, 80)}' is outside the experiment's data/ folder`;
  const abs = isAbsolute(p) ? normalize(p) : resolve(expDir, p);
  const allowed = `data/${roots.length > 1 ? ' or trex.yaml data_policy.allow_paths' : ''}`;
  if (!roots.some((r) => inside(abs, r))) return `'${p.slice(0, 80)}' is outside the experiment's ${allowed}; a proposal may only name files there`;
  // A symbolic link under data/ must not lead elsewhere.
  if (existsSync(abs)) {
    let real: string;
    try {
      real = realpathSync(abs);
    } catch {
      return `'${p.slice(0, 80)}' cannot be resolved`;
    }
    const realRoots = roots.map((r) => (existsSync(r) ? realpathSync(r) : r));
    if (!realRoots.some((r) => inside(real, r))) return `'${p.slice(0, 80)}' leads outside ${allowed} through a symbolic link`;
  }
  return undefined;
}

function pathsOf(sources: JsonObject[]): string[] {
  return sources.map((s) => s.path).filter((p): p is string => typeof p === 'string' && p.length > 0);
}

/**
 * What the runner on the training machine re-checks every file source against (TREX_DATA_POLICY):
 * data/, data_policy.allow_paths, and the paths the user chose (the task's evaluation sets, the
 * baseline's sources, and source paths the user typed on this node or an ancestor, given as
 * `changes`); hosts likewise.
 */
/** Every `path` value inside a JSON value (a source object, or a list of them). */
function collectPaths(v: unknown): unknown[] {
  if (Array.isArray(v)) return v.flatMap(collectPaths);
  if (v && typeof v === 'object') return Object.entries(v).flatMap(([k, x]) => (k === 'path' ? [x] : collectPaths(x)));
  return [];
}

export function trainerDataPolicy(spec: TaskSpec, recipe: unknown, changes: readonly EdgeChange[]): { allow_paths: string[]; allow_hosts: string[] } {
  const policy = spec.data_policy ?? {};
  const evalData = (spec.task as { eval_data?: Record<string, unknown> } | undefined)?.eval_data ?? {};
  const evalSources = ['validation', 'test'].map((k) => evalData[k]).filter((x): x is JsonObject => isPlainObject(x));
  // The source paths the user typed somewhere on the way from the baseline (values, not positions:
  // a model's later change of that source is not trusted because the user once edited it).
  const userPaths = changes.filter((c) => c.path.startsWith('recipe.sources') && (c.by === 'user' || c.by === undefined)).flatMap((c) => (c.path.endsWith('.path') ? [c.to] : collectPaths(c.to)));
  const current = new Set(pathsOf(sourcesOf(recipe)));
  const trusted = [...pathsOf(evalSources), ...pathsOf(sourcesOf(spec.baseline?.recipe)), ...userPaths.filter((p): p is string => typeof p === 'string' && current.has(p))];
  const urls = trusted.filter((p) => /^https?:\/\//i.test(p));
  const hosts = urls.map((u) => {
    try {
      return new URL(u).hostname.toLowerCase();
    } catch {
      return '';
    }
  });
  // A node's own scripts (written by the engine from a proposal into nodes/<id>/) run from there.
  const nodeScripts = scriptsOf(recipe).flatMap((x) => (typeof x.path === 'string' && NODE_SCRIPT.test(x.path) ? [x.path] : []));
  return {
    allow_paths: [...new Set(['data', ...(policy.allow_paths ?? []), ...trusted.filter((p) => !/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(p)), ...nodeScripts])],
    allow_hosts: [...new Set([...(policy.allow_hosts ?? []).map((h) => h.toLowerCase()), ...hosts.filter(Boolean)])],
  };
}
