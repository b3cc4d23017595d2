// The prepare stage with a `script` recipe step on a real loopback sshd: the script travels to the
// host as a stage input, runs there (confined where the host allows), and a changed script travels
// again and is prepared under a new data-cache key.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { dataCacheKey } from '../../../../src/engine/dataFiles';
import { trainerDataPolicy } from '../../../../src/engine/dataPolicy';
import { recipeHash } from '../../../../src/engine/experiment';
import { planNodeStages, resolveTrain } from '../../../../src/engine/frameworks';
import type { StageJob } from '../../../../src/engine/backends/backend';
import type { JsonObject, TaskSpec } from '../../../../src/engine/spec/types';
import { reviewsSpec, writeReviews } from '../../../../fixtures/reviewsExperiment';
import { markingScript, SCRIPT } from '../../frameworks/scriptHelpers';
import { follow, localExperiment, makeBackend, useSshd } from './helpers';

const { skip, harness } = useSshd();

function write(dir: string, rel: string, content: string): void {
  mkdirSync(dirname(join(dir, rel)), { recursive: true });
  writeFileSync(join(dir, rel), content);
}

/** The prepare job the executor would start for node `id`, and the data folder it fills. */
function prepareJob(dir: string, id: string, spec: TaskSpec, recipe: JsonObject): { job: StageJob; dataDir: string } {
  const runDir = `nodes/${id}/run`;
  write(dir, `${runDir}/task.json`, JSON.stringify({ name: spec.name, base_model: spec.base_model, task: spec.task, metric: spec.metric, evaluation: spec.evaluation }));
  write(dir, `${runDir}/recipe.json`, JSON.stringify(recipe));
  const dataDir = `cache/data/${dataCacheKey(dir, spec, recipe, recipeHash(spec, recipe))}`;
  const stages = planNodeStages({ nodeId: id, runDir, dataDir, spec, recipe, train: resolveTrain({ framework: 'hf' }) });
  const env = { TREX_DATA_POLICY: JSON.stringify(trainerDataPolicy(spec, recipe, [])), PYTHONUNBUFFERED: '1' };
  return { job: { runDir: `${runDir}/prepare`, argv: stages.prepare.argv, env, inputs: stages.prepare.inputs, outputs: stages.prepare.outputs, label: `${id} prepare` }, dataDir };
}

test('a script step runs in the prepare stage on an ssh host; a changed script re-prepares there', { skip, timeout: 300_000 }, async () => {
  const h = harness();
  const dir = localExperiment();
  const remote = join(h.dir, 'remote-script');
  writeReviews(dir);
  write(dir, SCRIPT, markingScript('v1'));
  const made = reviewsSpec('ssh-script', { framework: 'hf' });
  const spec = made.spec as unknown as TaskSpec;
  const recipe: JsonObject = { ...made.recipe, filters: [{ kind: 'dedup' }, { kind: 'script', path: SCRIPT }] };
  const backend = makeBackend(h, dir, remote);
  const users = async (id: string): Promise<{ users: string[]; dataDir: string; log: string }> => {
    const { job, dataDir } = prepareJob(dir, id, spec, recipe);
    assert.ok(job.inputs.includes(SCRIPT), 'the script is a stage input');
    await backend.start(job);
    const log = join(dir, `${id}-prepare.log`);
    writeFileSync(log, '');
    const st = await follow(backend, job, log);
    assert.equal(st.exitCode, 0, readFileSync(log, 'utf8'));
    const rows = readFileSync(join(remote, dataDir, 'train.jsonl'), 'utf8').trim().split('\n');
    return { users: rows.map((l) => (JSON.parse(l) as { prompt: { role: string; content: string }[] }).prompt.at(-1)?.content ?? ''), dataDir, log: readFileSync(log, 'utf8') };
  };
  try {
    await backend.preflight();
    const first = await users('n1');
    assert.ok(first.users.includes('REVIEW: MADE BY V1'));
    assert.ok(first.users.every((u) => u === u.toUpperCase()));
    assert.match(first.log, /script step data\/mark\.py: isolation (bwrap|unshare|none)/);
    await backend.fetchResults(prepareJob(dir, 'n1', spec, recipe).job);
    const stats = JSON.parse(readFileSync(join(dir, first.dataDir, 'stats.json'), 'utf8')) as { steps: { rows_in: number; rows_out: number }[] };
    assert.equal(stats.steps[0].rows_out, stats.steps[0].rows_in + 1);

    write(dir, SCRIPT, markingScript('v2'));
    const second = await users('n2');
    assert.notEqual(second.dataDir, first.dataDir, 'a new cache key for the changed script');
    assert.ok(second.users.includes('REVIEW: MADE BY V2') && !second.users.includes('REVIEW: MADE BY V1'), 'the host ran the new script');
    assert.ok(existsSync(join(remote, first.dataDir, 'train.jsonl')), 'the first data set stays under its key');
  } finally {
    await backend.close();
  }
});
