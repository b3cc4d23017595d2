import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseArxivAtom } from '../../../src/engine/llm/research/arxiv';
import { htmlToText } from '../../../src/engine/llm/research/htmlText';
import { isPrivateAddress } from '../../../src/engine/llm/research/http';
import { runResearch } from '../../../src/engine/llm/research/researcher';
import { researchTools } from '../../../src/engine/llm/research/tools';
import type { ResearchSettings } from '../../../src/engine/llm';
import { ARXIV_ATOM, ARXIV_ERROR, HTML_PAGE } from './fakeResearchApis';
import { useFakeServers } from './fakeServers';
import { cleanupTempDirs, tempDir, testClient, testConfig } from './helpers';

const servers = useFakeServers({ research: true });

function tools(over: Partial<ResearchSettings> = {}, cacheDir?: string) {
  const settings = { ...testConfig(servers.fake.baseURL, { research: servers.apis.settings() }).research, ...over };
  const consulted = new Map<string, string>();
  const list = researchTools({ settings, cacheDir, consulted });
  const run = (name: string, args: Record<string, unknown>) => list.find((t) => t.name === name)!.run(args, new AbortController().signal);
  return { run, consulted };
}

test('arXiv Atom feed: entries parsed, whitespace and entities cleaned; API errors are errors', () => {
  const papers = parseArxivAtom(ARXIV_ATOM);
  assert.equal(papers.length, 2);
  assert.equal(papers[0].title, 'Teaching Arithmetic to Small Transformers');
  assert.equal(papers[0].id, '2307.03381v1');
  assert.equal(papers[0].url, 'http://arxiv.org/abs/2307.03381v1');
  assert.equal(papers[0].authors.length, 4);
  assert.match(papers[0].summary, /capabilities & we show/);
  assert.equal(papers[0].published, '2023-07-07');
  assert.throws(() => parseArxivAtom(ARXIV_ERROR), /arXiv API error: incorrect id format/);
  assert.throws(() => parseArxivAtom('{"not": "xml"}'), /not an Atom feed/);
});

test('HTML pages become text: no scripts, styles or comments; entities decoded', () => {
  const { title, text } = htmlToText(HTML_PAGE);
  assert.equal(title, 'Arithmetic tricks & tips');
  assert.match(text, /Reverse the digits/);
  assert.doesNotMatch(text, /alert|color:red|hidden/);
});

test('private-address detection', () => {
  for (const ip of ['127.0.0.1', '10.1.2.3', '192.168.0.1', '172.16.5.5', '169.254.1.1', '::1', 'fd00::1', '::ffff:127.0.0.1', '0.0.0.0']) assert.ok(isPrivateAddress(ip), ip);
  for (const ip of ['8.8.8.8', '140.82.112.3', '2606:4700::1111']) assert.ok(!isPrivateAddress(ip), ip);
});

test('each research tool answers from the real response shapes; bad entries are skipped', async () => {
  const { run, consulted } = tools();
  const arxiv = await run('search_arxiv', { query: 'arithmetic transformers', limit: 2 });
  assert.match(arxiv, /1\. Teaching Arithmetic to Small Transformers \(2023-07-07; Nayoung Lee, Kartik Sreenivasan, Jason D. Lee et al\.\) — http:\/\/arxiv\.org\/abs\/2307\.03381v1/);
  const s2 = await run('search_papers', { query: 'arithmetic' });
  assert.match(s2, /Teaching Arithmetic to Small Transformers \(2023; International Conference on Learning Representations; 180 citations\)/);
  assert.match(s2, /arXiv 2307\.03381/);
  assert.doesNotMatch(s2, /nulltitle/);
  const ds = await run('search_hf_datasets', { query: 'math' });
  assert.match(ds, /openai\/gsm8k — https:\/\/huggingface\.co\/datasets\/openai\/gsm8k \(downloads 397233/);
  assert.doesNotMatch(ds, /bad id/);
  const models = await run('search_hf_models', { query: 'qwen' });
  assert.match(models, /Qwen\/Qwen2\.5-0\.5B-Instruct — https:\/\/huggingface\.co\/Qwen\/Qwen2\.5-0\.5B-Instruct \(text-generation/);
  const card = await run('read_dataset_card', { dataset_id: 'openai/gsm8k' });
  assert.match(card, /num_examples: 7473/);
  await assert.rejects(run('read_dataset_card', { dataset_id: '../../etc/passwd' }), /not a Hugging Face dataset id/);
  const page = await run('fetch_url', { url: `${servers.apis.baseURL}/redirect` });
  assert.match(page, /Arithmetic tricks & tips/);
  assert.ok(consulted.has('http://arxiv.org/abs/2307.03381v1'));
  assert.ok(consulted.has('https://huggingface.co/datasets/openai/gsm8k'));
});

test('research HTTP failures are clear: bad shapes, 429 with retry-after, timeouts, size caps, private URLs', async () => {
  const { run } = tools({ timeoutMs: 300, maxBytes: 1 << 20 });
  await assert.rejects(run('search_hf_datasets', { query: 'broken' }), /unexpected shape: \(root\): must be array/);
  await assert.rejects(run('search_papers', { query: 'ratelimited' }), /HTTP 429 \(retry after 5 s\)/);
  await assert.rejects(run('search_arxiv', { query: 'badid' }), /arXiv API error/);
  await assert.rejects(run('fetch_url', { url: `${servers.apis.baseURL}/big` }), /larger than 1048576 bytes/);
  await assert.rejects(run('fetch_url', { url: 'file:///etc/passwd' }), /only http\(s\) URLs/);
  servers.apis.delays.set('/api/models', 2000);
  const t0 = Date.now();
  await assert.rejects(run('search_hf_models', { query: 'slow' }), /no complete response within 0\.3 s/);
  assert.ok(Date.now() - t0 < 1500);
  servers.apis.delays.delete('/api/models');
  const strict = tools({ allowPrivateUrls: false });
  await assert.rejects(strict.run('fetch_url', { url: `${servers.apis.baseURL}/page` }), /refusing to fetch a private or loopback address/);
  await assert.rejects(strict.run('fetch_url', { url: 'http://localhost:1/' }), /refusing to fetch a local address/);
});

test('responses are cached on disk: a repeated search makes no request', async () => {
  const cache = join(tempDir(), 'http-cache');
  const { run } = tools({}, cache);
  const before = servers.apis.hits.get('/api/models') ?? 0;
  const a = await run('search_hf_models', { query: 'cached model query' });
  const b = await run('search_hf_models', { query: 'cached model query' });
  assert.equal(a, b);
  assert.equal(servers.apis.hits.get('/api/models'), before + 1);
});

test('the Researcher researches with tools and writes research.md with checked citations', async () => {
  const dir = tempDir();
  const config = testConfig(servers.fake.baseURL, { research: servers.apis.settings() });
  const client = testClient(config);
  servers.fake.reply(
    { toolCalls: [{ name: 'search_arxiv', arguments: { query: 'addition transformers', limit: 2 } }, { name: 'search_hf_datasets', arguments: { query: 'arithmetic' } }] },
    { toolCalls: [{ name: 'google', arguments: { q: 'x' } }] },
    { toolCalls: [{ name: 'read_dataset_card', arguments: '{"dataset_id": ' }] },
    { content: 'Let me think about it.' },
    {
      toolCalls: [
        {
          name: 'finish',
          arguments: {
            summary: 'Reversed output digits make addition learnable for small transformers.',
            findings: [
              { claim: 'Reversing the digits of the sum helps', source_url: 'http://arxiv.org/abs/2307.03381v1' },
              { claim: 'A made-up claim', source_url: 'https://example.com/never-seen' },
            ],
            candidate_datasets: [{ id: 'openai/gsm8k', url: 'https://huggingface.co/datasets/openai/gsm8k', why: 'math word problems' }],
            candidate_models: [],
            training_ideas: ['Try the reversed template'],
            open_questions: ['Does curriculum help?'],
          },
        },
      ],
    },
  );
  const n0 = servers.fake.requests.length;
  const out = await runResearch(client, dir, { objective: 'Add numbers', context: 'task: addition' });
  assert.ok(out.ok, out.reason);
  const md = readFileSync(join(dir, 'research.md'), 'utf8');
  assert.match(md, /Reversing the digits of the sum helps \[Teaching Arithmetic to Small Transformers\]\(http:\/\/arxiv\.org\/abs\/2307\.03381v1\)/);
  assert.match(md, /A made-up claim \[https:\/\/example\.com\/never-seen\]\(https:\/\/example\.com\/never-seen\) \(not among the consulted sources: unverified\)/);
  assert.match(md, /## Sources consulted[\s\S]*openai\/gsm8k/);
  const toolMessages = servers.fake.requests.slice(n0).map((r) => r.lastMessage).join('\n');
  assert.match(toolMessages, /unknown tool 'google'; available tools: search_arxiv/);
  assert.match(toolMessages, /invalid arguments for read_dataset_card: not valid JSON/);
  assert.match(toolMessages, /Use the tools/);
  const log = readFileSync(join(dir, '.trex', 'research.jsonl'), 'utf8').trim().split('\n');
  assert.ok(log.length >= 5);
});

test('research that cannot finish still writes research.md with the reason, and is bounded in steps', async () => {
  const dir = tempDir();
  const client = testClient(testConfig(servers.fake.baseURL, { research: { ...servers.apis.settings(), max_steps: 3 } }));
  servers.fake.handler = () => ({ toolCalls: [{ name: 'search_hf_models', arguments: { query: 'loop' } }] });
  const n0 = servers.fake.requests.length;
  const out = await runResearch(client, dir, { objective: 'x', context: 'y' });
  servers.fake.handler = undefined;
  assert.equal(out.ok, false);
  assert.equal(servers.fake.requests.length - n0, 3);
  const md = readFileSync(join(dir, 'research.md'), 'utf8');
  assert.match(md, /Research did not complete[\s\S]*no finish within 3 steps[\s\S]*Delete this file to run the research again/);
  assert.ok(existsSync(join(dir, 'research.md')));
});
