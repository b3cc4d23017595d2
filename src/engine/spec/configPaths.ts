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
  const segs = segmentsOf(path);
  let cur: JsonObject | Json[] = copy;
  for (let i = 0; i < segs.length - 1; i++) {
    const seg = segs[i];
    const key: string | number = Array.isArray(cur) ? Number(seg) : seg;
    let next = (cur as Record<string | number, Json>)[key];
    if (next === null || typeof next !== 'object') {
      next = /^\d+$/.test(segs[i + 1]) ? [] : {};
      (cur as Record<string | number, Json>)[key] = next;
    }
    cur = next as JsonObject | Json[];
  }
  const last = segs[segs.length - 1];
  (cur as Record<string | number, Json>)[Array.isArray(cur) ? Number(last) : last] = value;
  return copy as unknown as NodeConfig;
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
