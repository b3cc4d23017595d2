// Red-team cases for model-proposed data sources (issue 16, finding 5): a proposal, or a recipe.yaml
// the Executor writes, may only name files under the experiment's data/ (or data_policy.allow_paths),
// URLs on data_policy.allow_hosts and Hugging Face ids; anything else is refused with the reason.
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { stringify } from 'yaml';
import { computeInsights, Rng, type Experiment, type ProposalContext } from '../../src/engine';
import { checkProposedSources } from '../../src/engine/dataPolicy';
import { LlmProposer } from '../../src/engine/llm';
import { executorTools } from '../../src/engine/llm/executorAgent/tools';
import { useFakeServers } from '../engine/llm/fakeServers';
import { cleanupTempDirs, newExperiment, tempDir, testClient, testConfig } from '../engine/llm/helpers';

const servers = useFakeServers({ research: false });

function ctx(exp: Experiment, k: number): ProposalContext {
  return { exp, parentId: 'n0000', k, rng: new Rng(1), insights: computeInsights(exp.tree), knownHashes: new Set([...exp.tree.nodes.values()].map((n) => n.configHash)), guidance: '' };
}

const fileSource = (path: string) => ({ name: 'extra', kind: 'file', path, num_examples: 10 });
const proposal = (title: string, source: object) => ({
  title,
  hypothesis: `${title} helps`,
  rationale: 'more data',
  evidence: ['insights.md'],
  edits: [{ path: 'recipe.sources.1', value_json: JSON.stringify(source) }],
});

function hostile(exp: Experiment): { title: string; source: object; reason: RegExp }[] {
  const outside = tempDir();
  writeFileSync(join(outside, 'creds.jsonl'), '{"prompt":"k","response":"secret"}\n');
  mkdirSync(join(exp.dir, 'data'), { recursive: true });
  symlinkSync(join(outside, 'creds.jsonl'), join(exp.dir, 'data', 'link.jsonl'));
  return [
    { title: 'etc passwd', source: fileSource('/etc/passwd'), reason: /outside the experiment's data\// },
    { title: 'dotdot', source: fileSource('../secretstore/creds.jsonl'), reason: /'\.\.' is not allowed/ },
    { title: 'data dotdot', source: fileSource('data/../../x.jsonl'), reason: /'\.\.' is not allowed/ },
    { title: 'absolute creds', source: fileSource(join(outside, 'creds.jsonl')), reason: /outside the experiment's data\// },
    { title: 'home', source: fileSource('~/.ssh/id_rsa'), reason: /outside/ },
    { title: 'file url', source: fileSource('file:///etc/passwd'), reason: /only files under data\// },
    { title: 'loopback url', source: fileSource('http://127.0.0.1:1/x.jsonl'), reason: /not in trex\.yaml data_policy\.allow_hosts/ },
    { title: 'symlink out', source: fileSource('data/link.jsonl'), reason: /symbolic link/ },
    { title: 'not data', source: fileSource('nodes/n0000/predictions.jsonl'), reason: /outside the experiment's data\// },
    { title: 'hostile hf id', source: { name: 'hf', kind: 'hf', dataset: '../../etc/passwd' }, reason: /not a Hugging Face dataset id/ },
  ];
}

test('the proposer refuses proposals whose data sources leave data/ or the allowlists, with the reason', async () => {
  const exp = newExperiment();
  const cases = hostile(exp);
  writeFileSync(join(exp.dir, 'data', 'ok.jsonl'), '{"prompt":"1+1","response":"2"}\n');
  const reply = { proposals: [...cases.map((c) => proposal(c.title, c.source)), proposal('good local file', fileSource('data/ok.jsonl'))] };
  servers.fake.handler = () => ({ json: reply });
  try {
    const r = await new LlmProposer(exp, { client: testClient(testConfig(servers.fake.baseURL)), research: false }).propose(ctx(exp, 3));
    const paths = r.proposals.map((p) => JSON.stringify(p.config.recipe));
    assert.equal(r.proposals.length, 1, `only the data/ proposal is accepted: ${paths.join('\n')}`);
    assert.match(paths[0], /data\/ok\.jsonl/);
    const fedBack = servers.fake.requests.map((q) => q.lastMessage).join('\n') + r.dropped.map((d) => d.reason).join('\n');
    for (const c of cases) assert.match(fedBack, c.reason, c.title);
  } finally {
    servers.fake.handler = undefined;
  }
});

test('data_policy.allow_hosts and allow_paths widen what may be proposed; the parent\'s own sources are not re-judged', () => {
  const exp = newExperiment();
  const spec = { ...exp.spec, data_policy: { allow_hosts: ['datasets.example.org'], allow_paths: ['/srv/shared-data'] } };
  const rec = (path: string) => ({ sources: [fileSource(path)] });
  assert.deepEqual(checkProposedSources(exp.dir, spec, { sources: [] }, rec('https://datasets.example.org/a.jsonl')), []);
  assert.deepEqual(checkProposedSources(exp.dir, spec, { sources: [] }, rec('/srv/shared-data/a.jsonl')), []);
  assert.match(checkProposedSources(exp.dir, spec, { sources: [] }, rec('/srv/shared-data-evil/a.jsonl')).join(), /outside/);
  assert.match(checkProposedSources(exp.dir, spec, { sources: [] }, rec('https://evil.example.org/a.jsonl')).join(), /allow_hosts/);
  assert.deepEqual(checkProposedSources(exp.dir, exp.spec, rec('/user/baseline.jsonl'), rec('/user/baseline.jsonl')), [], 'what the user set is kept');
});

test('the Executor cannot write a recipe.yaml that points at data outside data/', async () => {
  const exp = newExperiment();
  const list = executorTools({ exp, nodeId: 'n0000', settings: testConfig('http://127.0.0.1:9/v1').executor, session: 1, changed: new Set() });
  const write = list.find((t) => t.name === 'write_file')!;
  const recipe = { ...(exp.spec.baseline.recipe as object), sources: [...exp.spec.baseline.recipe.sources, fileSource('/etc/passwd')] };
  const out = await write.run({ path: 'recipe.yaml', content: stringify(recipe) }, new AbortController().signal);
  assert.match(out, /NOT written: recipe\.yaml names data the agent may not use/);
  assert.match(out, /outside the experiment's data\//);
});
