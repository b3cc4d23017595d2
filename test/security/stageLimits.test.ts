// Finding 10 of issue 16: a node whose folder is deleted while a stage runs fails (it does not
// hang), and every stage has a wall-clock limit.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import type { Backend, JobStatus, StageJob } from '../../src/engine/backends/backend';
import { NodeExecutor } from '../../src/engine/executor/executor';
import { Experiment, initExperiment } from '../../src/engine/experiment';
import type { JsonObject, TaskSpec } from '../../src/engine/spec/types';

const ROOT = join(__dirname, '..', '..', '..');
const specText = readFileSync(join(ROOT, 'examples', 'addition', 'trex.yaml'), 'utf8');

/** A backend whose jobs run forever, like a stuck training; like LocalBackend, a job lives in its run folder. */
class NeverEndingBackend implements Backend {
  readonly name = 'never';
  readonly capacity = 1;
  readonly pollIntervalMs = 20;
  cancelled = 0;
  constructor(private readonly dir: string) {}
  async preflight(): Promise<void> {}
  async start(job: StageJob): Promise<void> {
    mkdirSync(join(this.dir, job.runDir), { recursive: true });
  }
  async poll(job: StageJob): Promise<JobStatus> {
    return existsSync(join(this.dir, job.runDir)) ? { state: 'running', where: 'nowhere' } : { state: 'none' };
  }
  async readLog(): Promise<Buffer> {
    return Buffer.alloc(0);
  }
  async fetchResults(): Promise<void> {}
  async cancel(): Promise<void> {
    this.cancelled++;
  }
  async reset(): Promise<void> {}
  async exists(): Promise<boolean> {
    return false;
  }
  async close(): Promise<void> {}
}

function setup(): { exp: Experiment; id: string; backend: NeverEndingBackend } {
  const dir = mkdtempSync(join(tmpdir(), 'trex-sec-stage-'));
  initExperiment(dir, specText);
  const exp = Experiment.open(dir);
  const base = (parse(specText) as TaskSpec & { baseline: { recipe: JsonObject; train: JsonObject } }).baseline;
  const id = exp.createNode({ parent: null, origin: 'root', title: 't', plan: 'p', config: { recipe: base.recipe, train: base.train }, changes: [] });
  return { exp, id, backend: new NeverEndingBackend(exp.dir) };
}

async function within<T>(ms: number, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`hung for ${ms} ms`)), ms)));
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

test('a node folder deleted while a stage runs fails the node instead of hanging', async () => {
  const { exp, id, backend } = setup();
  try {
    const ctrl = new AbortController();
    const executor = new NodeExecutor(exp, backend, { reuse: { dedupe: false, data_cache: false, warm_start: false } as never, threads: 1, pollMs: 20 });
    const run = executor.run(id, ctrl.signal);
    setTimeout(() => rmSync(exp.nodeDir(id), { recursive: true, force: true }), 200);
    const outcome = await within(5000, run).finally(() => ctrl.abort());
    assert.equal(outcome, 'failed');
    const n = exp.tree.get(id);
    assert.equal(n.status, 'failed');
    assert.match(n.failure!.reason, /deleted|disappeared/);
    assert.ok(backend.cancelled >= 1, 'the job is cancelled');
  } finally {
    exp.close();
  }
});

test('a stage past its wall-clock limit is stopped and its node fails', async () => {
  const { exp, id, backend } = setup();
  try {
    const ctrl = new AbortController();
    const executor = new NodeExecutor(exp, backend, { reuse: { dedupe: false, data_cache: false, warm_start: false } as never, threads: 1, pollMs: 20, stageTimeoutMs: 300 });
    const outcome = await within(5000, executor.run(id, ctrl.signal)).finally(() => ctrl.abort());
    assert.equal(outcome, 'failed');
    const n = exp.tree.get(id);
    assert.equal(n.failure!.stage, 'prepare');
    assert.match(n.failure!.reason, /wall-clock limit/);
    assert.equal(backend.cancelled, 1);
  } finally {
    exp.close();
  }
});

test('the limit can be set in trex.yaml (compute.stage_timeout_minutes)', async () => {
  const { exp, id, backend } = setup();
  try {
    (exp.spec.compute as JsonObject).stage_timeout_minutes = 0.005; // 0.3 s
    const ctrl = new AbortController();
    const executor = new NodeExecutor(exp, backend, { reuse: { dedupe: false, data_cache: false, warm_start: false } as never, threads: 1, pollMs: 20 });
    const outcome = await within(5000, executor.run(id, ctrl.signal)).finally(() => ctrl.abort());
    assert.equal(outcome, 'failed');
    assert.match(exp.tree.get(id).failure!.reason, /wall-clock limit of 0\.3 s/);
  } finally {
    exp.close();
  }
});

test('time queued before a job runs does not count against the limit', async () => {
  const { exp, id, backend } = setup();
  try {
    let polls = 0;
    const queued = Object.assign(Object.create(Object.getPrototypeOf(backend)) as NeverEndingBackend, backend);
    let started = false;
    queued.start = async (job: StageJob) => {
      await backend.start(job);
      started = true;
    };
    queued.poll = async (job: StageJob) => (started && ++polls < 25 ? { state: 'starting' } : backend.poll(job));
    queued.cancel = async () => {
      backend.cancelled++;
    };
    const ctrl = new AbortController();
    const executor = new NodeExecutor(exp, queued, { reuse: { dedupe: false, data_cache: false, warm_start: false } as never, threads: 1, pollMs: 20, stageTimeoutMs: 300 });
    const t0 = Date.now();
    const outcome = await within(5000, executor.run(id, ctrl.signal)).finally(() => ctrl.abort());
    assert.equal(outcome, 'failed');
    assert.match(exp.tree.get(id).failure!.reason, /wall-clock limit/);
    assert.ok(Date.now() - t0 >= 300 + 20 * 20, 'the queued polls did not count');
  } finally {
    exp.close();
  }
});
