// The config schema as the LLM roles need it: one line per field they may edit, with type, limits
// and description, and none of the fields the task's trainer ignores. The built-in micro trainer
// reads only the fields below (trainer/trex_micro/config.py); showing the LLM-framework fields for
// a micro task costs tokens and invites edits that change nothing.
import recipeSchema from '../../../schemas/recipe.schema.json';
import trainSchema from '../../../schemas/train.schema.json';
import { summarizeSchema } from './schemaSummary';

/** Field paths (list items as N) the micro trainer reads; their parents are kept with them. */
export const MICRO_FIELDS: readonly string[] = [
  'recipe.sources',
  'recipe.sources.N.name',
  'recipe.sources.N.kind',
  'recipe.sources.N.generator',
  'recipe.sources.N.num_examples',
  'recipe.sources.N.weight',
  'recipe.sources.N.params',
  'recipe.format.template',
  'recipe.filters',
  'recipe.filters.N.kind',
  'recipe.filters.N.max_chars',
  'recipe.filters.N.min_agreement',
  'recipe.augmentation.paraphrase',
  'recipe.mixing.total',
  'recipe.seed',
  'train.framework',
  'train.method',
  'train.finetuning',
  'train.learning_rate',
  'train.epochs',
  'train.max_steps',
  'train.batch_size',
  'train.lora.rank',
  'train.lora.alpha',
  'train.lora.dropout',
  'train.warmup_ratio',
  'train.weight_decay',
  'train.lr_scheduler',
  'train.max_seq_len',
  'train.seed',
];

/** The path a summarizeSchema line describes ("recipe.sources.N.kind: one of …" → "recipe.sources.N.kind"). */
export function linePath(line: string): string {
  return line.slice(0, line.indexOf(':'));
}

/**
 * Keeps the lines of the given fields and of the objects that hold them; drops the per-object
 * "no other fields allowed" lines (one sentence says it for all). Without `keep`, every field stays.
 */
export function compactSchemaLines(lines: readonly string[], keep?: readonly string[]): string[] {
  const wanted = keep ? new Set(keep) : undefined;
  const holds = (path: string) => !wanted || wanted.has(path) || [...wanted].some((k) => k.startsWith(`${path}.`));
  return lines.filter((l) => !l.endsWith(': no other fields allowed') && holds(linePath(l)));
}

/** The schema section's body for a task kind: micro tasks see only what the micro trainer reads. */
export function describeConfigSchema(taskKind: 'micro' | 'llm'): string {
  const lines = [...summarizeSchema(recipeSchema, 'recipe'), ...summarizeSchema(trainSchema, 'train')];
  const shown = compactSchemaLines(lines, taskKind === 'micro' ? MICRO_FIELDS : undefined);
  return `${shown.join('\n')}\nNo other fields are allowed.`;
}
