// Before a proposal that adds a Hugging Face dataset (or changes how one is mapped) is queued, the
// training machine's Python loads a few rows of it and applies the mapping (`trex_llm.py
// peek-source`). A dataset that does not load, has no rows, or lacks a mapped column is refused
// at proposal time with the runner's reason, instead of failing a node's prepare stage later.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Backend } from '../../backends/backend';
import type { Experiment } from '../../experiment';
import { writeFileAtomic } from '../../store/atomicWrite';
import { hashJson } from '../../spec/hash';
import type { Json, JsonObject } from '../../spec/types';
import { trainerDataPolicy } from '../../dataPolicy';
import { runJobToEnd } from '../../llm/executorAgent/jobs';
import { isPlainObject } from '../../util/isPlainObject';

export interface SourcePeekOptions {
  rows?: number;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface SourcePeek {
  index: number;
  ok: boolean;
  /** The runner's report on success (rows, mapped, columns), its reason on failure. */
  summary: string;
}

const DEFAULT_ROWS = 8;
const DEFAULT_TIMEOUT_MS = 5 * 60_000;

function sources(recipe: JsonObject): JsonObject[] {
  return Array.isArray(recipe.sources) ? recipe.sources.map((s) => (isPlainObject(s) ? s : {})) : [];
}

const identity = (s: JsonObject) => JSON.stringify([s.dataset ?? null, s.subset ?? null, s.split ?? null]);
const mappingOf = (recipe: JsonObject, s: JsonObject): Json => [recipe.mapping ?? null, (isPlainObject(s.params) ? s.params.mapping : null) ?? null, (isPlainObject(s.params) ? s.params.values : null) ?? null];

/** Indexes of the recipe's hf sources the parent did not have, or whose mapping changed. */
export function sourcesToPeek(parentRecipe: JsonObject, recipe: JsonObject): number[] {
  const before = new Map(sources(parentRecipe).filter((s) => s.kind === 'hf').map((s) => [identity(s), JSON.stringify(mappingOf(parentRecipe, s))]));
  return sources(recipe).flatMap((s, i) => (s.kind === 'hf' && before.get(identity(s)) !== JSON.stringify(mappingOf(recipe, s)) ? [i] : []));
}

/** The runner's one-line reason from a failed peek's output. */
function reasonOf(output: string): string {
  const lines = output.split('\n').map((l) => l.trim()).filter(Boolean);
  const line = [...lines].reverse().find((l) => l.includes('peek-source:')) ?? lines[lines.length - 1] ?? 'no output';
  return line.replace(/^.*?peek-source:\s*(invalid input:\s*)?/, '').slice(0, 600);
}

function summaryOf(output: string): string {
  const last = output.split('\n').map((l) => l.trim()).filter((l) => l.startsWith('{')).pop();
  try {
    const r = JSON.parse(last ?? '') as { rows?: number; mapped?: number; columns?: string[] };
    return `${r.mapped}/${r.rows} rows mapped; columns ${JSON.stringify(r.columns ?? [])}`;
  } catch {
    return 'loaded';
  }
}

/** Peeks each source `sourcesToPeek` names, one small job each on the backend. */
export async function peekNewSources(exp: Experiment, backend: Backend, parentRecipe: JsonObject, recipe: JsonObject, o: SourcePeekOptions = {}): Promise<SourcePeek[]> {
  const out: SourcePeek[] = [];
  // The micro trainer reads no hf sources (it refuses them in prepare): nothing to load.
  if (exp.spec.task.kind === 'micro') return out;
  for (const index of sourcesToPeek(parentRecipe, recipe)) {
    const dir = `cache/peek/${hashJson({ recipe, index }).slice(0, 16)}`;
    mkdirSync(join(exp.dir, dir), { recursive: true });
    writeFileAtomic(join(exp.dir, dir, 'recipe.json'), JSON.stringify(recipe, null, 2));
    const rows = o.rows ?? DEFAULT_ROWS;
    const r = await runJobToEnd(
      backend,
      {
        runDir: `${dir}/job`,
        argv: ['{python}', '{runner}/trex_llm.py', 'peek-source', '--recipe', `${dir}/recipe.json`, '--source', String(index), '--rows', String(rows), '--cache', '{cache}'],
        env: { PYTHONUNBUFFERED: '1', TREX_DATA_POLICY: JSON.stringify(trainerDataPolicy(exp.spec, recipe, [])) },
        inputs: [`${dir}/recipe.json`],
        outputs: [],
        label: `peek recipe.sources.${index}`,
      },
      o.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      o.signal,
    );
    if (r.aborted) break;
    const ok = r.exitCode === 0;
    const summary = ok ? summaryOf(r.output) : r.timedOut ? `loading ${rows} rows timed out` : reasonOf(r.output);
    out.push({ index, ok, summary });
  }
  return out;
}
