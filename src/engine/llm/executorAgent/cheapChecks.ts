// "Debug cheap, train expensive": before a full run, prepare the node's data on a small sample and
// train a few steps, in nodes/<id>/run/check/. A config the trainer rejects, a recipe that yields
// no data, or a crash in the first steps shows up in seconds instead of after a full run.
// The commands mirror the NodeExecutor's stage commands (trex_micro.py prepare/train).
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Backend } from '../../backends/backend';
import { normalizeTrain, writeFileAtomic, type Experiment } from '../../experiment';
import type { NodeConfig } from '../../spec/configPaths';
import type { Json, JsonObject } from '../../spec/types';
import { formatProblem, SpecError } from '../../spec/validate';
import { tailLines } from '../text';
import { runJobToEnd } from './jobs';
import { appendExecutorRecord } from './records';
import { trainerDataPolicy } from '../../dataPolicy';
import { isPlainObject } from '../../util/isPlainObject';

export interface CheapCheckOptions {
  /** Examples per source (and in total) for the sample. */
  examples?: number;
  /** Training steps. */
  steps?: number;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Appends the outcome to nodes/<id>/executor.jsonl (default true). */
  record?: boolean;
  session?: number;
}

export interface CheapCheckResult {
  ok: boolean;
  /** Where it stopped: the config files, data preparation or training. */
  stage: 'config' | 'prepare' | 'train' | 'done';
  reason?: string;
  logTail: string;
  wallMs: number;
}

/** The node's config shrunk to a smoke test: few examples, few steps. */
export function cheapCheckConfig(config: NodeConfig, examples: number, steps: number): NodeConfig {
  const recipe = structuredClone(config.recipe);
  const sources = Array.isArray(recipe.sources) ? recipe.sources : [];
  for (const s of sources) {
    if (isPlainObject(s) && typeof s.num_examples === 'number') s.num_examples = Math.min(s.num_examples, examples);
  }
  const mixing = recipe.mixing;
  if (isPlainObject(mixing) && typeof mixing.total === 'number') mixing.total = Math.min(mixing.total, examples);
  const train: JsonObject = { ...normalizeTrain(config.train), max_steps: steps as Json };
  return { recipe, train };
}

/** Engine-owned parts of a node folder that a cheap check neither reads nor depends on. */
const NOT_INPUTS = new Set(['ckpt', 'run', 'logs', 'executor.jsonl', 'metrics.json', 'predictions.jsonl', 'bad_cases.md']);

/**
 * What a cheap check of the node depends on: the contents of every file the Executor may have
 * written (config, data files, scripts). Equal fingerprints mean the same check would be repeated.
 */
export function nodeInputsFingerprint(exp: Experiment, nodeId: string): string {
  const h = createHash('sha256');
  const walk = (dir: string, rel: string) => {
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch {
      return;
    }
    for (const name of names) {
      if (!rel && NOT_INPUTS.has(name)) continue;
      const p = join(dir, name);
      const r = rel ? `${rel}/${name}` : name;
      const st = statSync(p, { throwIfNoEntry: false });
      if (st?.isDirectory()) walk(p, r);
      else if (st?.isFile()) h.update(`${r}\0`).update(readFileSync(p)).update('\0');
    }
  };
  walk(exp.nodeDir(nodeId), '');
  return h.digest('hex');
}

export async function runCheapChecks(exp: Experiment, nodeId: string, backend: Backend, o: CheapCheckOptions = {}): Promise<CheapCheckResult> {
  const t0 = Date.now();
  const result = await check(exp, nodeId, backend, o, t0);
  if (o.record !== false) {
    appendExecutorRecord(exp, nodeId, { kind: 'cheap_check', session: o.session, ok: result.ok, stage: result.stage, reason: result.reason, wallMs: result.wallMs, logTail: tailLines(result.logTail, 15) });
  }
  return result;
}

async function check(exp: Experiment, nodeId: string, backend: Backend, o: CheapCheckOptions, t0: number): Promise<CheapCheckResult> {
  let config: NodeConfig;
  try {
    config = exp.readNodeConfig(nodeId);
  } catch (e) {
    const reason = e instanceof SpecError ? e.problems.map(formatProblem).join('\n') : (e as Error).message;
    return { ok: false, stage: 'config', reason, logTail: '', wallMs: Date.now() - t0 };
  }
  const small = cheapCheckConfig(config, o.examples ?? 32, o.steps ?? 5);
  const dir = `nodes/${nodeId}/run/check`;
  mkdirSync(join(exp.dir, dir), { recursive: true });
  const task: JsonObject = { name: exp.spec.name, base_model: exp.spec.base_model, task: exp.spec.task as JsonObject, metric: exp.spec.metric, evaluation: exp.spec.evaluation };
  writeFileAtomic(join(exp.dir, dir, 'task.json'), JSON.stringify(task, null, 2));
  writeFileAtomic(join(exp.dir, dir, 'recipe.json'), JSON.stringify(small.recipe, null, 2));
  writeFileAtomic(join(exp.dir, dir, 'train.json'), JSON.stringify(small.train, null, 2));
  const timeoutMs = o.timeoutMs ?? 5 * 60_000;
  // The runner re-checks the (possibly agent-written) sources against the same allowlist as a real run.
  const dataPolicy = trainerDataPolicy(exp.spec, config.recipe, exp.tree.nodes.has(nodeId) ? exp.tree.ancestry(nodeId).flatMap((n) => n.changes) : []);
  const env = { PYTHONUNBUFFERED: '1', TREX_THREADS: '1', OMP_NUM_THREADS: '1', TREX_DATA_POLICY: JSON.stringify(dataPolicy) };

  const prep = await runJobToEnd(
    backend,
    {
      runDir: `${dir}/prepare`,
      argv: ['{python}', '{runner}/trex_micro.py', 'prepare', '--task', `${dir}/task.json`, '--recipe', `${dir}/recipe.json`, '--out', `${dir}/data`],
      env,
      inputs: [`${dir}/task.json`, `${dir}/recipe.json`],
      outputs: [`${dir}/data/stats.json`],
      label: `${nodeId} check prepare`,
    },
    timeoutMs,
    o.signal,
  );
  if (prep.exitCode !== 0) return failed('prepare', prep, t0, timeoutMs);
  const remaining = Math.max(1000, timeoutMs - (Date.now() - t0));
  const train = await runJobToEnd(
    backend,
    {
      runDir: `${dir}/train`,
      argv: ['{python}', '{runner}/trex_micro.py', 'train', '--task', `${dir}/task.json`, '--config', `${dir}/train.json`, '--data', `${dir}/data`, '--out', `${dir}/ckpt`, '--cache', '{cache}'],
      env,
      inputs: [`${dir}/task.json`, `${dir}/train.json`],
      outputs: [],
      label: `${nodeId} check train`,
    },
    remaining,
    o.signal,
  );
  if (train.exitCode !== 0) return failed('train', train, t0, remaining);
  return { ok: true, stage: 'done', logTail: tailLines(train.output, 10), wallMs: Date.now() - t0 };
}

function failed(stage: 'prepare' | 'train', r: { exitCode: number; timedOut: boolean; aborted: boolean; output: string }, t0: number, timeoutMs: number): CheapCheckResult {
  const last = r.output.split('\n').filter((l) => l.trim()).pop() ?? '';
  const reason = r.aborted ? 'cancelled' : r.timedOut ? `timed out after ${(timeoutMs / 1000).toFixed(0)} s` : r.exitCode === -1 ? 'the job was lost' : `exit code ${r.exitCode}${last ? `: ${last.slice(0, 300)}` : ''}`;
  return { ok: false, stage, reason: `${stage} on a small sample failed: ${reason}`, logTail: tailLines(r.output, 30), wallMs: Date.now() - t0 };
}
