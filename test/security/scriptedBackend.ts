// A backend whose stages "run" a scripted action when started and exit 0: the stages' file
// effects without training, for the tests of what the engine trusts between and after stages.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { Backend, JobStatus, StageJob } from '../../src/engine/backends/backend';
import { NodeExecutor } from '../../src/engine/executor/executor';
import { Experiment, initExperiment } from '../../src/engine/experiment';
import type { JsonObject, TaskSpec } from '../../src/engine/spec/types';

const ROOT = join(__dirname, '..', '..', '..');
const specText = readFileSync(join(ROOT, 'examples', 'addition', 'trex.yaml'), 'utf8');

/** Actions by stage name (prepare, train, evaluate), run when that stage's job starts. */
export type StageActions = Partial<Record<string, () => void>>;

export class ScriptedBackend implements Backend {
  readonly name = 'scripted';
  readonly capacity = 1;
  readonly pollIntervalMs = 5;
  /** Stage names in the order their jobs started. */
  readonly startedStages: string[] = [];
  private readonly started = new Set<string>();
  constructor(private readonly dir: string, private readonly actions: StageActions) {}
  async preflight(): Promise<void> {}
  async start(job: StageJob): Promise<void> {
    mkdirSync(join(this.dir, job.runDir), { recursive: true });
    this.started.add(job.runDir);
    const stage = (job.label ?? '').split(' ').pop() ?? '';
    this.startedStages.push(stage);
    this.actions[stage]?.();
  }
  async poll(job: StageJob): Promise<JobStatus> {
    return this.started.has(job.runDir) ? { state: 'exited', exitCode: 0, where: 'scripted' } : { state: 'none' };
  }
  async readLog(_job: StageJob, _offset: number, _maxBytes: number): Promise<Buffer> {
    return Buffer.alloc(0);
  }
  async fetchResults(): Promise<void> {}
  async cancel(): Promise<void> {}
  async reset(): Promise<void> {}
  async exists(): Promise<boolean> {
    return false;
  }
  async close(): Promise<void> {}
}

const dirs: string[] = [];
export function removeScriptedExperiments(): void {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** An addition experiment with its baseline node, and a way to run that node on scripted stages. */
export function scriptedExperiment() {
  const dir = mkdtempSync(join(tmpdir(), 'trex-sec-scripted-'));
  dirs.push(dir);
  initExperiment(dir, specText);
  const exp = Experiment.open(dir);
  const base = (parse(specText) as TaskSpec & { baseline: { recipe: JsonObject; train: JsonObject } }).baseline;
  const id = exp.createNode({ parent: null, origin: 'root', title: 't', plan: 'p', config: { recipe: base.recipe, train: base.train }, changes: [] });
  const metrics = (v: number) => JSON.stringify({ validation: { [exp.spec.metric.name]: v } });
  const write = (v: number) => () => writeFileSync(exp.nodePath(id, 'metrics.json'), metrics(v));
  const backend = (actions: StageActions) => new ScriptedBackend(exp.dir, actions);
  const run = (b: ScriptedBackend) => new NodeExecutor(exp, b, { reuse: { dedupe: false, data_cache: false, warm_start: false } as never, threads: 1, pollMs: 5 }).run(id, new AbortController().signal);
  return { exp, id, metrics, write, backend, run };
}
