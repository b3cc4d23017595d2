// Turns a proposal's edits ({path, value_json}) into a full NodeConfig and validates it against
// the recipe and train schemas. Paths are the dotted addresses of the search space
// ("train.learning_rate", "recipe.sources.0.num_examples"); "recipe" or "train" alone replaces
// the whole object; a null value removes the key or list item.
import type { NodeConfig } from '../../spec/configPaths';
import type { Json, JsonObject } from '../../spec/types';
import { schemaProblems } from '../../spec/validate';

export interface ProposalEdit {
  path: string;
  value_json: string;
}

const PATH = /^(recipe|train)(\.[A-Za-z0-9_]+)*$/;
const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

export function applyEdits(parent: NodeConfig, edits: ProposalEdit[]): { config?: NodeConfig; problems: string[] } {
  const problems: string[] = [];
  const root = structuredClone({ recipe: parent.recipe, train: parent.train }) as JsonObject;
  for (const [i, e] of edits.entries()) {
    const where = `edit ${i + 1} (${JSON.stringify(e.path).slice(0, 80)})`;
    if (!PATH.test(e.path)) {
      problems.push(`${where}: path must start with 'recipe' or 'train' and use dots, like train.learning_rate or recipe.sources.0.num_examples`);
      continue;
    }
    const segs = e.path.split('.');
    if (segs.some((s) => FORBIDDEN.has(s))) {
      problems.push(`${where}: forbidden path segment`);
      continue;
    }
    let value: Json;
    try {
      value = JSON.parse(e.value_json) as Json;
    } catch {
      problems.push(`${where}: value_json is not valid JSON (${JSON.stringify(e.value_json).slice(0, 60)}); write numbers as 0.001, strings as "\\"text\\""`);
      continue;
    }
    const err = setOrDelete(root, segs, value);
    if (err) problems.push(`${where}: ${err}`);
  }
  if (problems.length) return { problems };
  const config: NodeConfig = { recipe: root.recipe as JsonObject, train: root.train as JsonObject };
  for (const part of ['recipe', 'train'] as const) {
    const v = config[part] as Json;
    if (v === null || typeof v !== 'object' || Array.isArray(v)) {
      problems.push(`${part}: must be an object`);
      continue;
    }
    problems.push(...schemaProblems(v, part).map((p) => `${part}.yaml${p.field ? ` field '${p.field}'` : ''}: ${p.message}`));
  }
  return problems.length ? { problems } : { config, problems };
}

function setOrDelete(root: JsonObject, segs: string[], value: Json): string | undefined {
  let cur: Json = root;
  for (let i = 0; i < segs.length - 1; i++) {
    const seg = segs[i];
    const next: Json | undefined = Array.isArray(cur) ? indexInto(cur, seg) : (cur as JsonObject)[seg];
    if (next === undefined || next === null || typeof next !== 'object') {
      if (Array.isArray(cur)) return `no item ${seg} in ${segs.slice(0, i).join('.')} (it has ${cur.length})`;
      if (/^\d+$/.test(segs[i + 1])) return `${segs.slice(0, i + 1).join('.')} is not a list`;
      if (value === null) return undefined; // removing under a missing object: nothing to do
      (cur as JsonObject)[seg] = {};
      cur = (cur as JsonObject)[seg];
      continue;
    }
    cur = next;
  }
  const last = segs[segs.length - 1];
  if (Array.isArray(cur)) {
    if (!/^\d+$/.test(last)) return `${segs.slice(0, -1).join('.')} is a list: index it with a number`;
    const idx = Number(last);
    if (idx > cur.length) return `index ${idx} is past the end of ${segs.slice(0, -1).join('.')} (length ${cur.length}; use ${cur.length} to append)`;
    if (value === null) {
      if (idx < cur.length) cur.splice(idx, 1);
    } else cur[idx] = value;
    return undefined;
  }
  if (cur === null || typeof cur !== 'object') return `${segs.slice(0, -1).join('.')} is not an object`;
  if (value === null) delete (cur as JsonObject)[last];
  else (cur as JsonObject)[last] = value;
  return undefined;
}

function indexInto(arr: Json[], seg: string): Json | undefined {
  return /^\d+$/.test(seg) ? arr[Number(seg)] : undefined;
}
