// tracking.tensorboard.framework_logs over ssh: the train stage the engine plans sets
// TENSORBOARD_LOGGING_DIR on the remote host and lists the node's run/tensorboard folder as an
// output, so whatever the framework wrote there (any file names, nested) comes back with the node.
// The stage's command is replaced by a shell script that writes into that folder the way
// TensorBoard's writer does (the real frameworks write there in test/engine/frameworks/frameworkTensorboard.test.ts).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { planNodeStages } from '../../../../src/engine/frameworks';
import { context, llmSpec, train } from '../../frameworks/fixtures';
import { follow, localExperiment, makeBackend, useSshd } from './helpers';

const { skip, harness } = useSshd();

test('the framework event files in the node folder come back from an ssh host', { skip }, async () => {
  const exp = localExperiment();
  const plan = planNodeStages(context(llmSpec({ tracking: { tensorboard: { framework_logs: true } } }), train({ framework: 'trl' })));
  const dir = plan.train.env.TENSORBOARD_LOGGING_DIR;
  assert.equal(dir, 'nodes/n0003/run/tensorboard');
  assert.ok(plan.train.outputs.includes(dir), 'the folder is a train-stage output');
  const script = 'mkdir -p "$TENSORBOARD_LOGGING_DIR/run-1" && printf "events of %s" "$TENSORBOARD_LOGGING_DIR" > "$TENSORBOARD_LOGGING_DIR/run-1/events.out.tfevents.1.host"';
  const job = { runDir: 'nodes/n0003/run/train', argv: ['bash', '-c', script], env: plan.train.env, inputs: [], outputs: plan.train.outputs, label: 'n0003 train' };
  const h = harness();
  const backend = makeBackend(h, exp, join(h.dir, 'remote-tb'));
  try {
    await backend.preflight();
    await backend.start(job);
    const st = await follow(backend, job, join(exp, 'train.log'));
    assert.equal(st.exitCode, 0);
    await backend.fetchResults(job);
    assert.equal(readFileSync(join(exp, dir, 'run-1', 'events.out.tfevents.1.host'), 'utf8'), `events of ${dir}`);
  } finally {
    await backend.close();
  }
});
