// A stage that prints a secret (one passed on purpose with TREX_PASS_ENV, or read from a file)
// does not put it into the experiment: the engine's copy of the log, nodes/<id>/logs/<stage>.log,
// has it masked even when the remote log arrives in pieces that split the secret.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, test } from 'node:test';
import type { JobStatus, StageJob } from '../../src/engine/backends/backend';
import { removeScriptedExperiments, ScriptedBackend, scriptedExperiment, type StageActions } from './scriptedBackend';

after(removeScriptedExperiments);

/** Serves each stage's log a few bytes per read, and reports the job running until all was read. */
class DripLogBackend extends ScriptedBackend {
  private readonly served = new Map<string, number>();
  constructor(dir: string, actions: StageActions, private readonly logs: Record<string, Buffer>, private readonly drip: number) {
    super(dir, actions);
  }
  private log(job: StageJob): Buffer | undefined {
    return this.logs[(job.label ?? '').split(' ').pop() ?? ''];
  }
  override async readLog(job: StageJob, offset: number, maxBytes: number): Promise<Buffer> {
    const out = Buffer.from((this.log(job) ?? Buffer.alloc(0)).subarray(offset, offset + Math.min(maxBytes, this.drip)));
    this.served.set(job.runDir, offset + out.length);
    return out;
  }
  override async poll(job: StageJob): Promise<JobStatus> {
    const status = await super.poll(job);
    const log = this.log(job);
    return status.state === 'exited' && log && (this.served.get(job.runDir) ?? 0) < log.length ? { state: 'running', where: 'scripted' } : status;
  }
}

test('a secret printed by a stage is masked in the copied log, byte for byte', async () => {
  const secret = 'ghp_0123456789abcdefSECRET';
  process.env.TREX_TEST_HUB_TOKEN = secret;
  try {
    const { exp, id, write } = scriptedExperiment();
    const trainLog = Buffer.from(`loading\nHF token ${secret} accepted\nstep 1/2\n${secret}\ndone\n`);
    const b = new DripLogBackend(exp.dir, { evaluate: write(0.5) }, { train: trainLog }, 3);
    const { NodeExecutor } = await import('../../src/engine/executor/executor');
    const result = await new NodeExecutor(exp, b, { reuse: { dedupe: false, data_cache: false, warm_start: false } as never, threads: 1, pollMs: 1 }).run(id, new AbortController().signal);
    assert.equal(result, 'succeeded', JSON.stringify(exp.tree.get(id).failure));
    const copied = readFileSync(exp.nodePath(id, 'logs', 'train.log'));
    assert.equal(copied.length, trainLog.length, 'same length as the remote log (resume offsets)');
    assert.ok(!copied.toString().includes(secret), copied.toString());
    assert.equal(copied.toString(), trainLog.toString().split(secret).join('*'.repeat(secret.length)));
  } finally {
    delete process.env.TREX_TEST_HUB_TOKEN;
  }
});
