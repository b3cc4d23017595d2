// Dotted paths into a node's config ("train.learning_rate", "recipe.sources.0.num_examples"),
// the addresses the search space and edge changes use.
import type { Json, JsonObject } from './types';
import { isPlainObject } from '../util/isPlainObject';

export interface NodeConfig {
  recipe: JsonObject;
  train: JsonObject;
}

function segmentsOf(path: string): string[] {
  return path.split('.');
}

export function getPath(config: NodeConfig, path: string): Json | undefined {
  let cur: Json | undefined = config as unknown as JsonObject;
  for (const seg of segmentsOf(path)) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = Array.isArray(cur) ? cur[Number(seg)] : (cur as JsonObject)[seg];
  }
  return cur;
}

/** Returns a copy of config with the value at path replaced; intermediate objects are created. */
export function setPath(config: NodeConfig, path: string, value: Json): NodeConfig {
  const copy = structuredClone(config) as unknown as JsonObject;
  writePath(copy, segmentsOf(path), value);
  return copy as unknown as NodeConfig;
}

export interface WritePathOptions {
  /** Refuse, with a reason, a write that would index a list by a name, skip past its end or create a
   *  missing list item (a list grows only by writing at its length); missing objects are still created.
   *  Unchecked, every missing or scalar container on the way is replaced by an empty one. */
  checked?: boolean;
  /** A null value removes the key or list item instead of storing null. */
  nullRemoves?: boolean;
}

const INDEX = /^\d+$/;

/** Writes value at the path segs inside root, in place. Returns why it could not (checked writes only). */
export function writePath(root: JsonObject, segs: string[], value: Json, opts: WritePathOptions = {}): string | undefined {
  const removing = opts.nullRemoves === true && value === null;
  const where = (n: number) => segs.slice(0, n).join('.');
  let cur: JsonObject | Json[] = root;
  for (let i = 0; i < segs.length - 1; i++) {
    const seg = segs[i];
    let next: Json | undefined;
    if (Array.isArray(cur)) next = opts.checked && !INDEX.test(seg) ? undefined : cur[Number(seg)];
    else next = cur[seg];
    if (next === undefined || next === null || typeof next !== 'object') {
      if (opts.checked) {
        if (Array.isArray(cur)) return `no item ${seg} in ${where(i)} (it has ${cur.length})`;
        if (INDEX.test(segs[i + 1])) return `${where(i + 1)} is not a list`;
        if (removing) return undefined; // removing under a missing object: nothing to do
      }
      next = !opts.checked && INDEX.test(segs[i + 1]) ? [] : {};
      (cur as Record<string | number, Json>)[Array.isArray(cur) ? Number(seg) : seg] = next;
    }
    cur = next;
  }
  const last = segs[segs.length - 1];
  if (Array.isArray(cur)) {
    if (opts.checked && !INDEX.test(last)) return `${where(segs.length - 1)} is a list: index it with a number`;
    const idx = Number(last);
    if (opts.checked && idx > cur.length) return `index ${idx} is past the end of ${where(segs.length - 1)} (length ${cur.length}; use ${cur.length} to append)`;
    if (!removing) cur[idx] = value;
    else if (idx < cur.length) cur.splice(idx, 1);
    return undefined;
  }
  if (removing) delete cur[last];
  else cur[last] = value;
  return undefined;
}

/** A copy of the config without the value at path (a missing path changes nothing). */
export function unsetPath(config: NodeConfig, path: string): NodeConfig {
  const copy = structuredClone(config);
  const segs = path.split('.');
  let cur: Json | undefined = copy as unknown as JsonObject;
  for (const seg of segs.slice(0, -1)) {
    if (cur === null || typeof cur !== 'object') return copy;
    cur = Array.isArray(cur) ? cur[Number(seg)] : cur[seg];
  }
  if (isPlainObject(cur)) delete cur[segs[segs.length - 1]];
  return copy;
}

/** Leaf-level differences between two configs, as edge changes. */
export function diffConfigs(a: NodeConfig, b: NodeConfig): { path: string; from: Json | undefined; to: Json | undefined }[] {
  const out: { path: string; from: Json | undefined; to: Json | undefined }[] = [];
  const walk = (x: Json | undefined, y: Json | undefined, prefix: string) => {
    const isObj = (v: Json | undefined): v is JsonObject | Json[] => v !== null && typeof v === 'object';
    if (isObj(x) && isObj(y) && Array.isArray(x) === Array.isArray(y)) {
      const keys = new Set([...Object.keys(x), ...Object.keys(y)]);
      for (const k of [...keys].sort()) {
        walk((x as Record<string, Json>)[k], (y as Record<string, Json>)[k], prefix ? `${prefix}.${k}` : k);
      }
    } else if (JSON.stringify(x) !== JSON.stringify(y)) {
      out.push({ path: prefix, from: x, to: y });
    }
  };
  walk(config(a), config(b), '');
  return out;
}

function config(c: NodeConfig): JsonObject {
  return { recipe: c.recipe, train: c.train };
}
