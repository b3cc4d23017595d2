// Turns a proposal's edits ({path, value_json}) into a full NodeConfig and validates it against
// the recipe and train schemas. Paths are the dotted addresses of the search space
// ("train.learning_rate", "recipe.sources.0.num_examples"); "recipe" or "train" alone replaces
// the whole object; a null value removes the key or list item.
import { writePath, type NodeConfig } from '../../spec/configPaths';
import type { Json, JsonObject } from '../../spec/types';
import { schemaProblems } from '../../spec/validate';
import { isPlainObject } from '../../util/isPlainObject';

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
    const err = writePath(root, segs, value, { checked: true, nullRemoves: true });
    if (err) problems.push(`${where}: ${err}`);
  }
  if (problems.length) return { problems };
  const config: NodeConfig = { recipe: root.recipe as JsonObject, train: root.train as JsonObject };
  for (const part of ['recipe', 'train'] as const) {
    const v = config[part] as Json;
    if (!isPlainObject(v)) {
      problems.push(`${part}: must be an object`);
      continue;
    }
    problems.push(...schemaProblems(v, part).map((p) => `${part}.yaml${p.field ? ` field '${p.field}'` : ''}: ${p.message}`));
  }
  return problems.length ? { problems } : { config, problems };
}
