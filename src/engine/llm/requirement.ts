// Requirement analysis: from a free-text requirement (and optionally a partial trex.yaml), the
// Researcher writes a complete task spec. The reply carries the YAML as text so the engine's own
// validator (with line numbers) judges it; problems go back to the model, a bounded number of
// times. Fields of the partial spec always win over the model's.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import trexSchema from '../../../schemas/trex.schema.json';
import recipeSchema from '../../../schemas/recipe.schema.json';
import trainSchema from '../../../schemas/train.schema.json';
import { initExperiment, SPEC_FILE } from '../experiment';
import { examplesDir } from '../packageDirs';
import type { Json, JsonObject, TaskSpec } from '../spec/types';
import { formatProblem, parseAndValidate, SpecError } from '../spec/validate';
import { LlmClient } from './client';
import type { LlmConfig } from './config';
import { isPlainObject } from './jsonValidation';
import { runResearch, type ResearchOutcome } from './research/researcher';
import { summarizeSchema } from './schemaSummary';
import { inline, truncateMiddle } from './text';
import { UsageMeter, zeroTotals, type UsageTotals } from './usage';

export interface InitFromRequirementOptions {
  /** Literature and data research first, written to research.md (default: config.research.enabled). */
  research?: boolean;
  signal?: AbortSignal;
}

export interface InitFromRequirementResult {
  specPath: string;
  notes: string[];
  /** Spent before the experiment existed: emit it as a usage event after Experiment.open if wanted. */
  usage: UsageTotals;
}

interface SpecReply {
  trex_yaml: string;
  assumptions: string[];
}

const SPEC_REPLY_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['trex_yaml', 'assumptions'],
  properties: {
    trex_yaml: { type: 'string', description: 'The complete trex.yaml, as YAML text.' },
    assumptions: { type: 'array', items: { type: 'string' }, description: 'Choices you made that the requirement did not settle.' },
  },
};

const BUILTIN_EXAMPLE = `name: addition
objective: Teach the tiny model to add two 3-digit numbers exactly.
base_model: micro-gpt
task: { kind: micro, generator: addition }
metric: { name: exact_match, goal: maximize }
evaluation: { validation_size: 200, test_size: 300, seed: 1234 }
budget: { max_runs: 12 }
search: { policy: uct, children_per_expansion: 3 }
baseline:
  recipe:
    sources: [{ name: addition, kind: generator, generator: addition, num_examples: 2000 }]
    format: { template: plain }
  train: { framework: micro, learning_rate: 0.001, epochs: 2, batch_size: 32 }
search_space:
  - { path: train.learning_rate, values: [0.0003, 0.001, 0.003] }
  - { path: recipe.format.template, values: [plain, reversed] }
`;

function exampleSpec(): string {
  try {
    const p = join(examplesDir(), 'addition', SPEC_FILE);
    if (existsSync(p)) return readFileSync(p, 'utf8');
  } catch {
    // no package root (bundled elsewhere): the built-in example will do
  }
  return BUILTIN_EXAMPLE;
}

/** Partial values win: objects merge key by key, anything else is replaced. */
function overlay(base: Json, top: Json): Json {
  if (isPlainObject(base) && isPlainObject(top)) {
    const out: JsonObject = { ...(base as JsonObject) };
    for (const [k, v] of Object.entries(top as JsonObject)) out[k] = k in out ? overlay(out[k], v) : v;
    return out;
  }
  return top;
}

function parsePartial(text: string | undefined): JsonObject | undefined {
  if (!text?.trim()) return undefined;
  let v: unknown;
  try {
    v = parse(text);
  } catch (e) {
    throw new Error(`the partial trex.yaml is not valid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  if (v === null || v === undefined) return undefined;
  if (!isPlainObject(v)) throw new Error('the partial trex.yaml must be a mapping');
  return v as JsonObject;
}

function buildSpecText(reply: SpecReply, partial: JsonObject | undefined): { text: string; spec?: TaskSpec; problems: string[] } {
  let parsed: unknown;
  try {
    parsed = parse(reply.trex_yaml);
  } catch (e) {
    return { text: '', problems: [`trex_yaml is not valid YAML: ${(e as Error).message.split('\n')[0]}`] };
  }
  if (!isPlainObject(parsed)) return { text: '', problems: ['trex_yaml must be a YAML mapping'] };
  const merged = partial ? overlay(parsed as JsonObject, partial) : parsed;
  const text = stringify(merged);
  try {
    const spec = parseAndValidate<TaskSpec>(text, 'trex', SPEC_FILE);
    return { text, spec, problems: [] };
  } catch (e) {
    if (e instanceof SpecError) return { text, problems: e.problems.map((p) => `${p.field ? `field '${p.field}'` : 'document'}: ${p.message}`) };
    return { text, problems: [(e as Error).message] };
  }
}

export async function initFromRequirement(dir: string, requirement: string, config: LlmConfig, partialSpecText?: string, opts: InitFromRequirementOptions = {}): Promise<InitFromRequirementResult> {
  if (!requirement.trim()) throw new Error('the requirement is empty');
  if (existsSync(join(dir, SPEC_FILE))) throw new Error(`${join(dir, SPEC_FILE)} already exists; not overwriting an experiment`);
  const partial = parsePartial(partialSpecText);
  const meter = new UsageMeter({ prices: config.prices, limitUsd: config.maxCostUsd, ledgerPath: join(dir, '.trex', 'llm-usage.jsonl') });
  const client = new LlmClient(config, meter);
  const usage = zeroTotals();
  const notes: string[] = [];

  let research: ResearchOutcome | undefined;
  if (opts.research ?? config.research.enabled) {
    research = await runResearch(client, dir, { objective: requirement, context: partial ? stringify(partial) : '(no spec yet: requirement analysis)' }, { signal: opts.signal, collector: usage });
    notes.push(research.ok ? `Research notes written to ${research.path} (${research.sources} source(s)).` : `Research did not complete: ${research.reason ?? 'unknown'}; see ${research.path}.`);
  }

  const schemaLines = [
    ...summarizeSchema(trexSchema, 'trex', 2).filter((l) => !l.startsWith('trex.baseline.')),
    ...summarizeSchema(recipeSchema, 'trex.baseline.recipe'),
    ...summarizeSchema(trainSchema, 'trex.baseline.train'),
  ];
  const user = [
    `Requirement:\n${requirement.trim()}`,
    partial ? `Partial trex.yaml from the user (keep every field of it as is):\n${stringify(partial)}` : '',
    research?.findings ? `Research findings:\n${truncateMiddle(research.markdown, 5000)}` : '',
    `Fields of trex.yaml (paths start at trex.):\n${schemaLines.join('\n')}`,
    `A complete example:\n${exampleSpec()}`,
    'Write the complete trex.yaml for this requirement: a baseline recipe and training config that are likely to work, a metric that measures the requirement, a modest budget, and a search space of the 3–6 knobs most likely to matter. Use base_model micro-gpt with task kind micro only for the built-in micro tasks (generators: addition, dates, extraction, sentiment).',
  ]
    .filter(Boolean)
    .join('\n\n');

  let specText = '';
  const reply = await client.structured<SpecReply>({
    role: 'researcher',
    purpose: 'requirement',
    nodeId: null,
    name: 'task_spec',
    schema: SPEC_REPLY_SCHEMA,
    strict: true,
    signal: opts.signal,
    collector: usage,
    messages: [
      { role: 'system', content: 'You are the Researcher of TREX. You turn a fine-tuning requirement into a complete, valid task spec (trex.yaml).' },
      { role: 'user', content: user },
    ],
    check: (r) => {
      const built = buildSpecText(r, partial);
      if (built.problems.length === 0) specText = built.text;
      return built.problems;
    },
  });
  if (reply.rejected.length) notes.push(`The model needed ${reply.attempts} attempt(s) for a valid spec.`);
  for (const a of reply.value.assumptions.slice(0, 10)) notes.push(`Assumption: ${inline(a, 300)}`);
  const objective = inline(requirement, 150);
  const text = `# ${objective}\n# Written by \`trex init --requirement\` (${client.model('researcher')}); review it before running.\n${specText}`;
  try {
    initExperiment(dir, text);
  } catch (e) {
    if (e instanceof SpecError) throw new Error(`the generated spec is invalid: ${e.problems.map(formatProblem).join('; ')}`);
    throw e;
  }
  notes.push(`LLM usage: ${usage.tokens} tokens, $${usage.costUsd.toFixed(4)} over ${usage.calls} call(s).`);
  return { specPath: join(dir, SPEC_FILE), notes, usage };
}
