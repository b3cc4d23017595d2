// Proposals do not queue behind Executor debugging: while the fake server holds the Executor's
// debug reply for a failed node open (released only by the test), the search still asks for a
// proposal for another node and starts it. Then the reply is released and everything finishes.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { Experiment, initExperiment } from '../../../src/engine';
import { readExecutorRecords } from '../../../src/engine/llm';
import type { FakeReply, RecordedRequest } from './fakeOpenAI';
import { MICRO_SPEC, tempDir } from './helpers';
import { oneEditIdea, runLlmSearch, useFakeServers } from './llmSearch';
import { scriptedLlm } from './scriptedLlm';

const servers = useFakeServers();


test('a proposal for another node is made and the node starts while an Executor debug reply is held open', { timeout: 600_000 }, async (t) => {
  const dir = join(tempDir(), 'exp');
  initExperiment(dir, MICRO_SPEC);
  const exp = Experiment.open(dir);
  const rest = scriptedLlm(() => exp.dir);
  // The first child cannot run (the micro trainer takes max_seq_len ≤ 128): it fails and is debugged.
  const ideas = [oneEditIdea('long sequences', 'train.max_seq_len', 512), oneEditIdea('lr 3e-3', 'train.learning_rate', 0.003)];
  let proposals = 0;
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let executorHeld = false;
  const proposalsWhileHeld: number[] = [];
  servers.fake.handler = async (req: RecordedRequest): Promise<FakeReply> => {
    if (req.kind === 'proposals') {
      if (executorHeld) proposalsWhileHeld.push(proposals);
      return { json: { proposals: [ideas[Math.min(proposals++, ideas.length - 1)]] } };
    }
    if (String(req.body.messages[0]?.content ?? '').includes('You are the Executor')) {
      executorHeld = true;
      await released; // the server holds this reply until the test lets it go
      executorHeld = false;
      return { toolCalls: [{ name: 'finish', arguments: { status: 'not_fixed', summary: 'left for the user', changed_files: [] } }] };
    }
    return rest(req);
  };
  let startedWhileHeld: string | undefined;
  const stop = exp.onEvent((e) => {
    if (e.type === 'node_status' && e.status === 'running' && e.id !== 'n0000' && e.id !== 'n0001' && startedWhileHeld === undefined) {
      startedWhileHeld = executorHeld ? e.id : `${e.id} (the debug reply was not held)`;
      release();
    }
  });
  // The held reply must outlive a node's run: the test, not a client timeout, ends it.
  const summary = await runLlmSearch(exp, servers, { maxRuns: 3, timeoutMs: 600_000, onStopped: release });
  stop();
  t.diagnostic(`search: ${summary.reason} after ${summary.runs} runs; started while held: ${startedWhileHeld}; proposals while held: ${proposalsWhileHeld.join(', ')}`);

  const tree = exp.tree;
  assert.equal(tree.get('n0001').status, 'failed');
  assert.equal(startedWhileHeld, 'n0002', 'n0002 started while the debug reply for n0001 was held');
  assert.equal(tree.get('n0002').parent, 'n0000');
  assert.deepEqual(proposalsWhileHeld, [1], 'the second proposal was asked for while the Executor waited');
  assert.equal(summary.reason, 'budget');
  // After the release the debugging session finished with the model's answer.
  const end = readExecutorRecords(exp, 'n0001').find((r) => r.kind === 'session_end');
  assert.equal(end?.status, 'not_fixed', 'the held session completed after its release');
  exp.close();
});
