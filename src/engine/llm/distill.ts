// Insight distillation: as results arrive, the distiller rewrites insights.md — what worked, what
// failed and why, open questions — from the previous lessons plus only the results that are new,
// so the cost per update stays flat as the tree grows. Numbers (best score, measured effects) are
// computed by the engine, never written by the model, and the file is capped in size.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GUIDANCE_FILE, INSIGHTS_FILE, writeFileAtomic, type Experiment } from '../experiment';
import { computeInsights, describeChanges, renderInsights } from '../insights';
import { specValidationSize } from '../metricNoise';
import type { TreeNode } from '../tree/tree';
import type { LlmClient } from './client';
import { describeError } from './errors';
import { BAD_CASES_FILE } from './executorAgent/badCases';
import { compileSchema, isPlainObject } from './jsonValidation';
import { inline, truncateEnd } from './text';
import type { UsageTotals } from './usage';

export interface Lessons {
  worked: string[];
  failed: string[];
  open_questions: string[];
  next_directions: string[];
}

interface DistillState {
  summarized: string[];
  lessons?: Lessons;
  model?: string;
}

export interface DistillOutcome {
  ok: boolean;
  path: string;
  reason?: string;
  newResults: number;
  chars: number;
}

const list = { type: 'array', items: { type: 'string' } };
const LESSONS_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['worked', 'failed', 'open_questions', 'next_directions'],
  properties: {
    worked: { ...list, description: 'Changes that improved the metric, with the evidence (node ids).' },
    failed: { ...list, description: 'Changes that hurt or crashed, and why.' },
    open_questions: list,
    next_directions: { ...list, description: 'What to try next and why.' },
  },
};

const checkLessons = compileSchema(LESSONS_SCHEMA);
const MAX_ITEMS = 8;
const MAX_ITEM_CHARS = 280;
const MAX_NEW = 25;
const statePath = (exp: Experiment) => join(exp.dir, '.trex', 'distill.json');

function readState(exp: Experiment): DistillState {
  const p = statePath(exp);
  if (!existsSync(p)) return { summarized: [] };
  try {
    const v: unknown = JSON.parse(readFileSync(p, 'utf8'));
    if (!isPlainObject(v) || !Array.isArray(v.summarized)) return { summarized: [] };
    const summarized = v.summarized.filter((x): x is string => typeof x === 'string');
    const lessons = v.lessons !== undefined && checkLessons(v.lessons).length === 0 ? (v.lessons as Lessons) : undefined;
    return { summarized, lessons };
  } catch {
    return { summarized: [] };
  }
}

function finished(n: TreeNode): boolean {
  return n.status === 'succeeded' || n.status === 'failed';
}

function resultLine(exp: Experiment, n: TreeNode): string {
  const tree = exp.tree;
  const parent = n.parent ? tree.nodes.get(n.parent) : undefined;
  let outcome: string;
  if (n.status === 'succeeded' && n.result) {
    const delta = parent?.result ? tree.utility(n.result.score) - tree.utility(parent.result.score) : undefined;
    outcome = `${tree.metric}=${n.result.score.toFixed(4)}${delta !== undefined ? ` (${delta >= 0 ? 'better' : 'worse'} than its parent by ${Math.abs(delta).toFixed(4)})` : ''}`;
  } else outcome = `FAILED in ${n.failure?.stage ?? '?'}: ${truncateEnd((n.failure?.reason ?? '').split('\n')[0], 200)}`;
  const bad = exp.readText(`nodes/${n.id}/${BAD_CASES_FILE}`);
  // The first error group: a shape of mistake, or for a label task an (expected → predicted) pair.
  const pattern = bad ? /## Error(?: patterns|s \(expected → predicted\))\s+- ([^\n]+)/.exec(bad)?.[1] : undefined;
  return `- ${n.id}${n.parent ? ` (child of ${n.parent})` : ' (baseline)'} "${truncateEnd(n.title, 80)}": ${describeChanges(n)} → ${outcome}${pattern ? `; most common error: ${pattern}` : ''}`;
}

function cleanList(xs: string[]): string[] {
  return xs.map((x) => inline(x, MAX_ITEM_CHARS)).filter(Boolean).slice(0, MAX_ITEMS);
}

export function renderDistilled(exp: Experiment, lessons: Lessons | undefined, note: string, maxChars: number): string {
  const tree = exp.tree;
  const measured = renderInsights(tree, computeInsights(tree, { validationSize: specValidationSize(exp.spec) }), 20).split('\n');
  const header = measured.slice(0, measured.indexOf('## Changes that helped')).join('\n').trim();
  let body = measured.slice(measured.indexOf('## Changes that helped')).join('\n').trim();
  const lessonText = lessons
    ? [
        ['What worked', lessons.worked],
        ['What failed and why', lessons.failed],
        ['Open questions', lessons.open_questions],
        ['Next directions', lessons.next_directions],
      ]
        .map(([title, xs]) => `## ${title as string}\n\n${(xs as string[]).length ? (xs as string[]).map((x) => `- ${x}`).join('\n') : '- none yet'}`)
        .join('\n\n')
    : '';
  const footer = `_${note}_`;
  const assemble = () => [header, lessonText, '# Measured (computed by the engine)', body, footer].filter(Boolean).join('\n\n') + '\n';
  let text = assemble();
  // Over the cap: shed measured lines from the end first (they are also in the tree), then cut.
  while (text.length > maxChars && body.includes('\n')) {
    body = body.slice(0, body.lastIndexOf('\n'));
    text = assemble();
  }
  return text.length > maxChars ? `${text.slice(0, maxChars - 40)}\n…[cut to fit ${maxChars} characters]\n` : text;
}

/** Rewrites insights.md from the results so far. Never throws; falls back to computed insights. */
export async function distillWithClient(exp: Experiment, client: LlmClient, opts: { signal?: AbortSignal; collector?: UsageTotals } = {}): Promise<DistillOutcome> {
  const path = join(exp.dir, INSIGHTS_FILE);
  const state = readState(exp);
  const done = new Set(state.summarized);
  const fresh = [...exp.tree.nodes.values()].filter((n) => finished(n) && !done.has(n.id));
  const maxChars = client.config.insightsMaxChars;
  let lessons = state.lessons;
  let note: string;
  let ok = true;
  let reason: string | undefined;
  if (fresh.length === 0 && lessons) {
    note = `Distilled by ${client.model('distiller')}; no new results since.`;
  } else {
    const newest = fresh.slice(-MAX_NEW);
    try {
      const measured = renderInsights(exp.tree, computeInsights(exp.tree, { validationSize: specValidationSize(exp.spec) }), 20);
      const guidance = exp.readText(GUIDANCE_FILE) ?? '';
      const r = await client.structured<Lessons>({
        role: 'distiller',
        purpose: 'distill',
        nodeId: null,
        name: 'lessons',
        schema: LESSONS_SCHEMA,
        strict: true,
        signal: opts.signal,
        collector: opts.collector,
        messages: [
          {
            role: 'system',
            content: `You keep the lessons of a fine-tuning tree search up to date. Merge the new results into the previous lessons: keep what still holds, correct what the new evidence contradicts, drop what no longer matters. At most ${MAX_ITEMS} short items per list, each under ${MAX_ITEM_CHARS} characters, citing node ids as evidence. Do not invent numbers.`,
          },
          {
            role: 'user',
            content: [
              `Objective: ${exp.spec.objective}`,
              `Previous lessons:\n${lessons ? JSON.stringify(lessons, null, 1) : '(none yet)'}`,
              `Computed statistics:\n${truncateEnd(measured, 3000)}`,
              `New results (${fresh.length}${fresh.length > newest.length ? `, the newest ${newest.length} shown` : ''}):\n${newest.map((n) => resultLine(exp, n)).join('\n')}`,
              guidance.trim() ? `User guidance:\n${truncateEnd(guidance, 1500)}` : '',
            ]
              .filter(Boolean)
              .join('\n\n'),
          },
        ],
      });
      lessons = { worked: cleanList(r.value.worked), failed: cleanList(r.value.failed), open_questions: cleanList(r.value.open_questions), next_directions: cleanList(r.value.next_directions) };
      note = `Distilled by ${client.model('distiller')} from ${done.size + fresh.length} finished node(s); numbers are computed by the engine.`;
      for (const n of fresh) done.add(n.id);
    } catch (e) {
      ok = false;
      reason = describeError(e);
      note = `LLM distillation unavailable (${inline(reason, 200)}); ${lessons ? 'lessons are from the last successful distillation' : 'computed insights only'}.`;
    }
  }
  const text = renderDistilled(exp, lessons, note, maxChars);
  writeFileAtomic(path, text);
  try {
    mkdirSync(join(exp.dir, '.trex'), { recursive: true });
    writeFileSync(statePath(exp), JSON.stringify({ summarized: [...done], lessons, model: client.model('distiller') } satisfies DistillState));
  } catch {
    // state is an optimisation: without it the next distillation re-reads more results
  }
  return { ok, path, reason, newResults: fresh.length, chars: text.length };
}
