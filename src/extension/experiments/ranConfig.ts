// Recovers the config a node actually ran with, after its files were edited: from the JSON the
// executor wrote into its run folder, or from any node with the same config hash whose files are
// untouched. Checked against the node's recorded hash, so a wrong guess is never used.
import { existsSync, readFileSync } from 'node:fs';
import { configHash, diffConfigs, normalizeTrain, setPath, unsetPath, type Experiment, type Json, type JsonObject, type NodeConfig } from '../../engine';

export function ranConfig(exp: Experiment, id: string): NodeConfig | undefined {
  const node = exp.tree.get(id);
  const matches = (c: NodeConfig | undefined) => c !== undefined && configHash(exp.spec, c) === node.configHash;
  const fromRun = readRunJson(exp, id);
  if (matches(fromRun)) return fromRun;
  for (const other of exp.tree.nodes.values()) {
    if (other.id === id || other.configHash !== node.configHash) continue;
    const c = readRunJson(exp, other.id);
    if (matches(c)) return c;
    try {
      const files = exp.readNodeConfig(other.id);
      if (matches(files)) return files;
    } catch {
      // that twin's files are broken too
    }
  }
  return undefined;
}

function readRunJson(exp: Experiment, id: string): NodeConfig | undefined {
  const recipe = exp.nodePath(id, 'run', 'recipe.json');
  const train = exp.nodePath(id, 'run', 'train.json');
  if (!existsSync(recipe) || !existsSync(train)) return undefined;
  try {
    return { recipe: JSON.parse(readFileSync(recipe, 'utf8')) as JsonObject, train: JSON.parse(readFileSync(train, 'utf8')) as JsonObject };
  } catch {
    return undefined;
  }
}

/**
 * The edited config with the user's edits taken back out, so the node's files read as they did
 * (the run folder's JSON has defaults filled in that the user's files never spelled out).
 */
export function revertEdits(edited: NodeConfig, original: NodeConfig): NodeConfig {
  const normal = (c: NodeConfig): NodeConfig => ({ recipe: c.recipe, train: normalizeTrain(c.train) });
  let restored: NodeConfig = structuredClone(edited);
  for (const change of diffConfigs(normal(edited), normal(original))) {
    restored = change.to === undefined ? unsetPath(restored, change.path) : setPath(restored, change.path, change.to as Json);
  }
  return restored;
}
