// Results come only from the evaluate stage (issue 16): a metrics.json written by anything else
// (planted before evaluate ran, written by another stage or an agent command, or changed after
// evaluate exited) is refused with the reason, never turned into a score.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { parse } from 'yaml';
import type { Backend, JobStatus, StageJob } from '../../src/engine/backends/backend';
import { NodeExecutor } from '../../src/engine/executor/executor';
import { Experiment, initExperiment } from '../../src/engine/experiment';
import type { JsonObject, TaskSpec } from '../../src/engine/spec/types';

const ROOT = join(__dirname, '..', '..', '..');
const specText = readFileSync(join(ROOT, 'examples', 'addition', 'trex.yaml'), 'utf8');
const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** Each stage "runs" a scripted action when started and exits 0: the stages' file effects without training. */
class ScriptedBackend implements Backend {
  readonly name = 'scripted';
  readonly capacity = 1;
  readonly pollIntervalMs = 5;
  constructor(private readonly dir: string, private readonly actions: Partial<Record<string, () => void>>) {}
  async preflight(): Promise<void> {}
  private readonly started = new Set<string>();
  async start(job: StageJob): Promise<void> {
    mkdirSync(join(this.dir, job.runDir), { recursive: true });
    this.started.add(job.runDir);
    this.actions[(job.label ?? '').split(' ').pop() ?? '']?.();
  }
  async poll(job: StageJob): Promise<JobStatus> {
    return this.started.has(job.runDir) ? { state: 'exited', exitCode: 0, where: 'scripted' } : { state: 'none' };
  }
  async readLog(): Promise<Buffer> {
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

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'trex-sec-metrics-'));
  dirs.push(dir);
  initExperiment(dir, specText);
  const exp = Experiment.open(dir);
  const base = (parse(specText) as TaskSpec & { baseline: { recipe: JsonObject; train: JsonObject } }).baseline;
  const id = exp.createNode({ parent: null, origin: 'root', title: 't', plan: 'p', config: { recipe: base.recipe, train: base.train }, changes: [] });
  const metrics = (v: number) => JSON.stringify({ validation: { [exp.spec.metric.name]: v } });
  const write = (v: number) => () => writeFileSync(exp.nodePath(id, 'metrics.json'), metrics(v));
  const run = (actions: Partial<Record<string, () => void>>) =>
    new NodeExecutor(exp, new ScriptedBackend(exp.dir, actions), { reuse: { dedupe: false, data_cache: false, warm_start: false } as never, threads: 1, pollMs: 5 }).run(id, new AbortController().signal);
  return { exp, id, metrics, write, run };
}

test('control: metrics the evaluate stage wrote become the result', async () => {
  const { exp, id, write, run } = setup();
  assert.equal(await run({ evaluate: write(0.5) }), 'succeeded', JSON.stringify(exp.tree.get(id).failure));
  assert.equal(exp.tree.get(id).result!.score, 0.5);
  assert.match(exp.tree.get(id).metricsSha256 ?? '', /^[0-9a-f]{64}$/);
});

test('a metrics.json written by another stage (or an agent command) before evaluate is discarded; evaluate writing none fails the node', async () => {
  const { exp, id, write, run } = setup();
  assert.equal(await run({ train: write(0.987654) }), 'failed');
  const n = exp.tree.get(id);
  assert.equal(n.result, undefined);
  assert.match(n.failure!.reason, /metrics\.json/);
  const again = setup();
  assert.equal(await again.run({ prepare: again.write(0.987654), evaluate: again.write(0.25) }), 'succeeded');
  assert.equal(again.exp.tree.get(again.id).result!.score, 0.25, 'the planted value never counts');
});

test('a metrics.json changed after the evaluate stage exited is refused on resume, with the reason', async () => {
  const { exp, id, metrics } = setup();
  const real = metrics(0.3);
  writeFileSync(exp.nodePath(id, 'metrics.json'), real);
  const sha = createHash('sha256').update(real).digest('hex');
  exp.emit({ type: 'node_status', id, status: 'running', stage: 'evaluate' });
  for (const stage of ['prepare', 'train'] as const) exp.emit({ type: 'stage_finished', id, stage, exitCode: 0, wallMs: 1 });
  exp.emit({ type: 'stage_finished', id, stage: 'evaluate', exitCode: 0, wallMs: 1, metricsSha256: sha });
  writeFileSync(exp.nodePath(id, 'metrics.json'), metrics(0.99)); // e.g. an agent or a script after evaluate
  const outcome = await new NodeExecutor(exp, new ScriptedBackend(exp.dir, {}), { reuse: { dedupe: false, data_cache: false, warm_start: false } as never, threads: 1, pollMs: 5 }).run(id, new AbortController().signal);
  assert.equal(outcome, 'failed');
  assert.match(exp.tree.get(id).failure!.reason, /changed after the evaluate stage wrote it/);
  assert.equal(exp.tree.get(id).result, undefined);
});

test('an evaluate stage recorded without provenance (a hand-written log) gives no result', async () => {
  const { exp, id, write } = setup();
  write(0.99)();
  exp.emit({ type: 'node_status', id, status: 'running', stage: 'evaluate' });
  for (const stage of ['prepare', 'train', 'evaluate'] as const) exp.emit({ type: 'stage_finished', id, stage, exitCode: 0, wallMs: 1 });
  const outcome = await new NodeExecutor(exp, new ScriptedBackend(exp.dir, {}), { reuse: { dedupe: false, data_cache: false, warm_start: false } as never, threads: 1, pollMs: 5 }).run(id, new AbortController().signal);
  assert.equal(outcome, 'failed');
  assert.match(exp.tree.get(id).failure!.reason, /no record that the evaluate stage wrote it/);
});

test('the event reader refuses a metricsSha256 that is not a sha256 or not on evaluate', () => {
  const { exp, id } = setup();
  const base = { seq: 99, t: 1, type: 'stage_finished', id, exitCode: 0, wallMs: 1 };
  assert.match(exp.tree.check({ ...base, stage: 'train', metricsSha256: 'a'.repeat(64) }) ?? '', /sha256 on an evaluate stage/);
  assert.match(exp.tree.check({ ...base, stage: 'evaluate', metricsSha256: '../x' }) ?? '', /sha256/);
  assert.equal(exp.tree.check({ ...base, stage: 'evaluate', metricsSha256: 'a'.repeat(64) }), null);
});
