// Research is refreshed when the evidence changes, against the fake OpenAI-compatible server and
// the fake research APIs: a plateau and a new failure class each start one short research run
// whose notes are appended to research.md and reach the next proposal prompt; the reason is an
// event; the number of refreshes per search is capped.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { computeInsights, LOG_FILE, Rng, type Experiment, type TreeEvent } from '../../../src/engine';
import { LlmProposer } from '../../../src/engine/llm';
import { failureClass } from '../../../src/engine/llm/research/refresh';
import type { FakeReply, RecordedRequest } from './fakeOpenAI';
import { useFakeServers } from './fakeServers';
import { oneEditIdea } from './llmSearch';
import { newExperiment, testClient, testConfig } from './helpers';

const servers = useFakeServers({ research: true });

const result = (score: number) => ({ score, metrics: {}, wallMs: 1, computeMs: 1, savedMs: 0 });

/** Proposals with a fresh learning rate each time; research finishes after one search, naming the round in its idea. */
function model(): { handler: (req: RecordedRequest) => FakeReply; research: RecordedRequest[] } {
  const research: RecordedRequest[] = [];
  let proposals = 0;
  return {
    research,
    handler: (req) => {
      if (req.kind === 'proposals') return { json: { proposals: [oneEditIdea(`lr ${proposals}`, 'train.learning_rate', 0.0001 * ++proposals)] } };
      if (req.kind === 'tools' && String(req.body.messages[0]?.content).includes('You are the Researcher')) {
        if (!req.body.messages.some((m) => m.role === 'tool')) {
          research.push(req);
          return { toolCalls: [{ name: 'search_arxiv', arguments: { query: 'arithmetic plateau' } }] };
        }
        const round = research.length;
        return {
          toolCalls: [
            {
              name: 'finish',
              arguments: {
                summary: `Refresh ${round}: curricula help past a plateau.`,
                findings: [{ claim: 'Reversed digits make addition easy to learn', source_url: 'http://arxiv.org/abs/2307.03381v1' }],
                candidate_datasets: [],
                candidate_models: [],
                training_ideas: [`REFRESH-IDEA-${round}: a curriculum from 1-digit to 3-digit sums`],
                open_questions: [],
              },
            },
          ],
        };
      }
      return { status: 400, body: `{"error":{"message":"unexpected ${req.kind}"}}` };
    },
  };
}

function addChild(exp: Experiment, lr: number): string {
  const config = exp.readNodeConfig('n0000');
  return exp.createNode({ parent: 'n0000', origin: 'proposer', title: `lr ${lr}`, plan: '# p\n', config: { ...config, train: { ...config.train, learning_rate: lr } }, changes: [{ path: 'train.learning_rate', from: 0.001, to: lr }], proposer: 'llm' });
}

async function propose(exp: Experiment, proposer: LlmProposer): Promise<string> {
  const r = await proposer.propose({ exp, parentId: 'n0000', k: 1, rng: new Rng(1), insights: computeInsights(exp.tree), knownHashes: new Set([...exp.tree.nodes.values()].map((n) => n.configHash)), guidance: '' });
  assert.equal(r.proposals.length, 1, JSON.stringify(r.dropped));
  const req = [...servers.fake.requests].reverse().find((x) => x.kind === 'proposals')!;
  return req.body.messages.map((m) => String(m.content)).join('\n');
}

/** The research_refreshed events as the append-only log holds them. */
const refreshEvents = (exp: Experiment) =>
  readFileSync(join(exp.dir, LOG_FILE), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as TreeEvent)
    .filter((e): e is Extract<TreeEvent, { type: 'research_refreshed' }> => e.type === 'research_refreshed');

test('failure classes mask numbers, ids and quoted values', () => {
  assert.equal(failureClass({ stage: 'train', reason: 'exit code 2: max_seq_len must be ≤ 128, got 512\nTraceback' }), failureClass({ stage: 'train', reason: 'exit code 2: max_seq_len must be ≤ 128, got 256' }));
  assert.notEqual(failureClass({ stage: 'train', reason: 'CUDA out of memory' }), failureClass({ stage: 'prepare', reason: 'CUDA out of memory' }));
  assert.notEqual(failureClass({ stage: 'train', reason: 'CUDA out of memory' }), failureClass({ stage: 'train', reason: 'loss is NaN' }));
});

test('a plateau, then a new failure class, each refresh research once; the notes reach the next prompt; the cap holds', { timeout: 120_000 }, async () => {
  const exp = newExperiment();
  writeFileSync(join(exp.dir, 'research.md'), '# Research notes\n\nINITIAL-NOTES: reversed digits help.\n');
  const m = model();
  servers.fake.handler = m.handler;
  const client = testClient(testConfig(servers.fake.baseURL, { research: { ...servers.apis.settings(), refresh_after: 2, max_refreshes: 2 } }));
  const proposer = new LlmProposer(exp, { client, research: true });
  exp.emit({ type: 'node_result', id: 'n0000', result: result(0.5) });

  // First proposal: the notes already there reflect the tree as it is; no research.
  let prompt = await propose(exp, proposer);
  assert.equal(m.research.length, 0);
  assert.match(prompt, /INITIAL-NOTES/);

  // One node that does not beat the best is not a plateau yet (refresh_after: 2).
  exp.emit({ type: 'node_result', id: addChild(exp, 0.01), result: result(0.4) });
  prompt = await propose(exp, proposer);
  assert.equal(m.research.length, 0);

  // Two: a plateau. One short research run, its notes appended and in this proposal's prompt.
  exp.emit({ type: 'node_result', id: addChild(exp, 0.02), result: result(0.45) });
  prompt = await propose(exp, proposer);
  assert.equal(m.research.length, 1);
  assert.match(String(m.research[0].body.messages[1]?.content), /Research again, because the search is on a plateau: the last 2 finished node\(s\) did not beat the best exact_match \(n0000 0\.5000\)/);
  assert.match(prompt, /Latest research refresh/);
  assert.match(prompt, /REFRESH-IDEA-1/);
  assert.match(prompt, /INITIAL-NOTES/, 'the first notes stay');
  const text = readFileSync(join(exp.dir, 'research.md'), 'utf8');
  assert.match(text, /^# Research notes\n\nINITIAL-NOTES/);
  assert.match(text, /## Research refresh \(\d{4}-\d\d-\d\d\): the search is on a plateau/);
  assert.deepEqual(refreshEvents(exp).map((e) => [e.trigger, e.ok]), [['plateau', true]]);

  // The same plateau does not refresh again before as many new nodes have finished.
  prompt = await propose(exp, proposer);
  assert.equal(m.research.length, 1);

  // A failure of a kind not seen before: a refresh, whatever the plateau count.
  const oom = addChild(exp, 0.03);
  exp.emit({ type: 'node_failed', id: oom, stage: 'train', reason: 'exit code 1: CUDA out of memory (tried to allocate 2.00 GiB)', logTail: '' });
  prompt = await propose(exp, proposer);
  assert.equal(m.research.length, 2);
  assert.match(String(m.research[1].body.messages[1]?.content), new RegExp(`a new kind of failure appeared: ${oom} failed in train: exit code <n>: CUDA out of memory`));
  assert.match(prompt, /REFRESH-IDEA-2/);
  assert.doesNotMatch(prompt, /REFRESH-IDEA-1/, 'the prompt shows the latest refresh');
  assert.deepEqual(refreshEvents(exp).map((e) => e.trigger), ['plateau', 'failure_class']);

  // The cap (max_refreshes: 2): another new failure class and a plateau start no research.
  const nan = addChild(exp, 0.04);
  exp.emit({ type: 'node_failed', id: nan, stage: 'evaluate', reason: 'metrics.json: score is NaN', logTail: '' });
  exp.emit({ type: 'node_result', id: addChild(exp, 0.05), result: result(0.3) });
  exp.emit({ type: 'node_result', id: addChild(exp, 0.06), result: result(0.3) });
  prompt = await propose(exp, proposer);
  assert.equal(m.research.length, 2);
  assert.equal(refreshEvents(exp).length, 2);
  assert.equal((readFileSync(join(exp.dir, 'research.md'), 'utf8').match(/## Research refresh/g) ?? []).length, 2);
  await proposer.close();
  exp.close();
});
