// The Researcher's data proposals against the fake OpenAI-compatible server (real HTTP), with the
// tiny Llama task run for real on the local backend: a proposal that writes a Python data script
// gets a node whose prepare runs it from the node's folder (data_stats.json records it); a script
// path that leaves the node folder is refused with the reason; a new Hugging Face source (a local
// dataset folder, loaded through the same `datasets` loader as a hub id) is test-loaded before it
// is accepted: a mapping onto columns the dataset lacks is refused with the columns it has, the
// right mapping is accepted and its node prepared.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { computeInsights, LocalBackend, Rng, type Experiment, type Proposal, type ProposalContext } from '../../../src/engine';
import { LlmProposer, type ProposalReply } from '../../../src/engine/llm';
import { NodeExecutor } from '../../../src/engine/executor/executor';
import { ROOT } from '../../helpers/cli';
import { ENV, experiment, PYTHON, SKIP, TRAIN } from '../frameworks/realHelpers';
import { useFakeServers } from './fakeServers';
import { testClient, testConfig } from './helpers';

const servers = useFakeServers({ research: false });
const saved: Record<string, string | undefined> = {};

before(() => {
  // The peek job inherits this process's environment: no hub, ever.
  for (const [k, v] of Object.entries(ENV)) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
});
after(() => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

const SCRIPT = [
  'import json, sys',
  'for line in sys.stdin:',
  '    row = json.loads(line)',
  "    row['prompt'] = row['prompt'].upper()",
  '    print(json.dumps(row))',
  "print(json.dumps({'prompt': 'REVIEW: WRITTEN BY THE RESEARCHER', 'response': 'positive', 'source': 'researcher'}))",
  '',
].join('\n');

function ctx(exp: Experiment, parentId: string, k: number): ProposalContext {
  return { exp, parentId, k, rng: new Rng(1), insights: computeInsights(exp.tree), knownHashes: new Set([...exp.tree.nodes.values()].map((n) => n.configHash)), guidance: '' };
}

function backendOf(exp: Experiment): LocalBackend {
  return new LocalBackend({ experimentDir: exp.dir, runnerDir: join(ROOT, 'trainer'), python: PYTHON, cacheDir: join(exp.dir, '.cache') });
}

const child = (title: string, edits: [string, unknown][], files?: { path: string; content: string }[]) => ({
  title,
  hypothesis: `${title} helps`,
  rationale: 'the bad cases are all lower-case reviews',
  evidence: ['bad_cases.md'],
  edits: edits.map(([path, v]) => ({ path, value_json: JSON.stringify(v) })),
  ...(files ? { files } : {}),
});

/** Creates the proposal's node the way the search runner does, and runs it. */
async function queueAndRun(exp: Experiment, parentId: string, p: Proposal, expected = 'succeeded'): Promise<string> {
  const id = exp.createNode({ parent: parentId, origin: 'proposer', title: p.title, plan: p.plan, config: p.config, changes: p.changes, files: p.files, proposer: 'llm' });
  const executor = new NodeExecutor(exp, backendOf(exp), { reuse: { dedupe: false, data_cache: true, warm_start: false }, threads: 1, pollMs: 50, env: { ...ENV, HF_HOME: join(exp.dir, '.hf') } });
  const outcome = await executor.run(id, new AbortController().signal);
  const log = ['prepare', 'train', 'evaluate'].map((s) => exp.nodePath(id, 'logs', `${s}.log`)).filter(existsSync).map((f) => readFileSync(f, 'utf8')).join('\n');
  assert.equal(outcome, expected, `${exp.tree.get(id).failure?.reason}\n${log.slice(-3000)}`);
  return id;
}

interface Stats {
  num_examples: number;
  by_source: Record<string, number>;
  steps?: { path: string; rows_in: number; rows_out: number }[];
  samples: { prompt: string }[];
}
const statsOf = (exp: Experiment, id: string) => JSON.parse(readFileSync(exp.nodePath(id, 'data_stats.json'), 'utf8')) as Stats;

test('a proposed data script is written into the new node folder and run by its prepare; an escaping path is refused', { skip: SKIP, timeout: 900_000 }, async () => {
  const { exp, id: base } = experiment({ framework: 'hf', ...TRAIN, max_steps: 1 });
  const filters = (path: string) => [{ kind: 'dedup' }, { kind: 'script', path }];
  servers.fake.reply({
    json: {
      proposals: [
        child('upper-case the reviews', [['recipe.filters', filters('upper.py')]], [{ path: 'upper.py', content: SCRIPT }]),
        child('escape', [['recipe.filters', filters('../../data/evil.py')]], [{ path: '../../data/evil.py', content: SCRIPT }]),
      ],
    } satisfies ProposalReply,
  });
  const proposer = new LlmProposer(exp, { client: testClient(testConfig(servers.fake.baseURL, { reply_attempts: 1 })), research: false, backend: backendOf(exp) });
  const r = await proposer.propose(ctx(exp, base, 2));
  const request = servers.fake.requests[servers.fake.requests.length - 1].body;
  assert.match(String(request.messages[0].content), /`files`.*"kind": "script"/, 'the Researcher is told it may write scripts');
  assert.equal(r.proposals.length, 1);
  assert.equal(r.dropped.length, 1);
  assert.match(r.dropped[0].reason, /invalid proposal "escape".*files: "\.\.\/\.\.\/data\/evil\.py" leaves the new node's folder/);
  assert.ok(!existsSync(join(exp.dir, 'data', 'evil.py')), 'nothing was written outside');

  const p = r.proposals[0];
  assert.deepEqual(p.files, [{ path: 'upper.py', content: SCRIPT }]);
  assert.match(p.plan, /## Data scripts in this node folder\n\n- `upper\.py`/);
  const id = await queueAndRun(exp, base, p);
  assert.equal(readFileSync(exp.nodePath(id, 'upper.py'), 'utf8'), SCRIPT, 'the script lives in the node folder');
  const recipe = exp.readNodeConfig(id).recipe as { filters: { path?: string }[] };
  assert.equal(recipe.filters[1].path, `nodes/${id}/upper.py`, 'the step names the file in the node folder');
  assert.deepEqual(exp.tree.get(id).changes.map((c) => [c.path, c.to]), [['recipe.filters.1', { kind: 'script', path: `nodes/${id}/upper.py` }]], 'the recorded change names it too');
  const stats = statsOf(exp, id);
  assert.equal(stats.steps?.[0].path, `nodes/${id}/upper.py`);
  assert.equal(stats.steps?.[0].rows_out, (stats.steps?.[0].rows_in ?? 0) + 1, 'the script added its row');
  assert.equal(stats.by_source.researcher, 1);
  assert.ok(stats.samples.every((s) => !/[a-z]/.test(s.prompt.replace(/^[^:]*:/, ''))), 'prompts went through the script');
});

test('a new Hugging Face source is test-loaded before it is accepted: a wrong mapping is refused with the columns, the right one is prepared', { skip: SKIP, timeout: 900_000 }, async () => {
  const rows = Array.from({ length: 12 }, (_, i) => ({ text: `the soup was ${i % 2 ? 'great' : 'awful'} today ${i}`, sentiment: i % 2 ? 'positive' : 'negative' }));
  const { exp, id: base } = experiment({ framework: 'hf', ...TRAIN, max_steps: 1 }, { files: { 'data/soups/train.jsonl': rows.map((x) => JSON.stringify(x)).join('\n') + '\n' } });
  mkdirSync(join(exp.dir, '.hf'), { recursive: true });
  process.env.HF_HOME = join(exp.dir, '.hf');
  const parentSources = (exp.readNodeConfig(base).recipe as { sources: unknown[] }).sources;
  const soups = (mapping?: Record<string, string>) => [...parentSources, { name: 'soups', kind: 'hf', dataset: 'data/soups', split: 'train', ...(mapping ? { params: { mapping } } : {}) }];
  servers.fake.reply({
    json: {
      proposals: [
        child('add soups unmapped', [['recipe.sources', soups()]]),
        child('add soups', [['recipe.sources', soups({ prompt: 'Review: {text}', response: 'sentiment' })]]),
      ],
    } satisfies ProposalReply,
  });
  const proposer = new LlmProposer(exp, { client: testClient(testConfig(servers.fake.baseURL, { reply_attempts: 1 })), research: false, backend: backendOf(exp) });
  const r = await proposer.propose(ctx(exp, base, 2));
  assert.equal(r.dropped.length, 1, JSON.stringify(r.dropped));
  assert.match(r.dropped[0].reason, /"add soups unmapped".*recipe\.sources\.1: loading a few rows failed: sources\[1\]\.mapping: none of the first 8 rows fits the mapping \{'prompt': 'Review: \{sentence\}', 'response': 'label'\}: the rows have the columns \['text', 'sentiment'\]/);
  assert.equal(r.proposals.length, 1);
  const p = r.proposals[0];
  assert.match(p.plan, /## New data sources checked \(a few rows loaded and mapped\)\n\n- recipe\.sources\.1: 8\/8 rows mapped; columns \["text","sentiment"\]/);

  const id = await queueAndRun(exp, base, p);
  const stats = statsOf(exp, id);
  assert.equal(stats.by_source.soups, 12, 'every row of the new dataset was prepared');
  assert.ok(stats.by_source.main > 0);
});

test("a proposed script that fails makes its node fail in prepare with the script's error, like any failing stage", { skip: SKIP, timeout: 600_000 }, async () => {
  const { exp, id: base } = experiment({ framework: 'hf', ...TRAIN, max_steps: 1 });
  const broken = 'import sys\nsys.exit("no column named review_text")\n';
  servers.fake.reply({ json: { proposals: [child('rename columns', [['recipe.filters', [{ kind: 'script', path: 'broken.py' }]]], [{ path: 'broken.py', content: broken }])] } satisfies ProposalReply });
  const proposer = new LlmProposer(exp, { client: testClient(testConfig(servers.fake.baseURL, { reply_attempts: 1 })), research: false, backend: backendOf(exp) });
  const r = await proposer.propose(ctx(exp, base, 1));
  assert.deepEqual(r.dropped, [], 'nothing about the script can be known before it runs');
  const id = await queueAndRun(exp, base, r.proposals[0], 'failed');
  const node = exp.tree.get(id);
  assert.equal(node.failure?.stage, 'prepare');
  assert.match(readFileSync(exp.nodePath(id, 'logs', 'prepare.log'), 'utf8'), new RegExp(`script nodes/${id}/broken\\.py exited with 1: no column named review_text`));
  assert.equal(node.stagesDone.includes('train'), false, 'nothing was trained on it');
});
