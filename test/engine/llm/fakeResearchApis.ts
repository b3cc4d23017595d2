// Local stand-ins for the research endpoints, answering in the real APIs' response shapes:
// arXiv export API (Atom XML), Semantic Scholar graph API (JSON), Hugging Face Hub dataset and
// model search (JSON) and dataset cards (README.md), plus an HTML page. Requests are counted so
// tests can see the on-disk cache at work.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export const ARXIV_ATOM = `<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" xmlns:arxiv="http://arxiv.org/schemas/atom">
  <link href="http://arxiv.org/api/query?search_query%3Dall%3Aarithmetic&amp;id_list%3D&amp;start%3D0&amp;max_results%3D2" rel="self" type="application/atom+xml"/>
  <title type="html">ArXiv Query: search_query=all:arithmetic&amp;id_list=&amp;start=0&amp;max_results=2</title>
  <id>http://arxiv.org/api/cdVm0MzUbFsrJbSJ2RdjUjLn6Uo</id>
  <updated>2024-05-01T00:00:00-04:00</updated>
  <opensearch:totalResults xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">2</opensearch:totalResults>
  <opensearch:startIndex xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">0</opensearch:startIndex>
  <opensearch:itemsPerPage xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">2</opensearch:itemsPerPage>
  <entry>
    <id>http://arxiv.org/abs/2307.03381v1</id>
    <updated>2023-07-07T05:35:57Z</updated>
    <published>2023-07-07T05:35:57Z</published>
    <title>Teaching Arithmetic to Small
      Transformers</title>
    <summary>  Large language models like GPT-4 exhibit emergent capabilities &amp; we show that
reversing the output digits makes addition far easier to learn.
</summary>
    <author><name>Nayoung Lee</name></author>
    <author><name>Kartik Sreenivasan</name></author>
    <author><name>Jason D. Lee</name></author>
    <author><name>Kangwook Lee</name></author>
    <arxiv:comment xmlns:arxiv="http://arxiv.org/schemas/atom">ICLR 2024</arxiv:comment>
    <link href="http://arxiv.org/abs/2307.03381v1" rel="alternate" type="text/html"/>
    <link title="pdf" href="http://arxiv.org/pdf/2307.03381v1" rel="related" type="application/pdf"/>
    <arxiv:primary_category xmlns:arxiv="http://arxiv.org/schemas/atom" term="cs.LG" scheme="http://arxiv.org/schemas/atom"/>
    <category term="cs.LG" scheme="http://arxiv.org/schemas/atom"/>
  </entry>
  <entry>
    <id>http://arxiv.org/abs/2311.14737v1</id>
    <updated>2023-11-20T00:00:00Z</updated>
    <published>2023-11-20T00:00:00Z</published>
    <title>Positional Description Matters for Transformers Arithmetic</title>
    <summary>Positional encodings and data formats determine length generalisation.</summary>
    <author><name>Ruoqi Shen</name></author>
    <link href="http://arxiv.org/abs/2311.14737v1" rel="alternate" type="text/html"/>
  </entry>
</feed>
`;

export const ARXIV_ERROR = `<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <entry>
    <id>http://arxiv.org/api/errors#incorrect_id_format_for_1234.12345v2</id>
    <title>Error</title>
    <summary>incorrect id format for 1234.12345v2</summary>
  </entry>
</feed>
`;

export const S2_SEARCH = {
  total: 1234,
  offset: 0,
  next: 2,
  data: [
    {
      paperId: '8d4e5a3f2b1c',
      externalIds: { ArXiv: '2307.03381', DBLP: 'conf/iclr/LeeSLL24', CorpusId: 259375795 },
      url: 'https://www.semanticscholar.org/paper/8d4e5a3f2b1c',
      title: 'Teaching Arithmetic to Small Transformers',
      abstract: 'Reversed digit order and chain-of-thought style data make arithmetic learnable.',
      venue: 'International Conference on Learning Representations',
      year: 2023,
      citationCount: 180,
      authors: [{ authorId: '1', name: 'Nayoung Lee' }, { authorId: '2', name: 'Kangwook Lee' }],
    },
    { paperId: 'nulltitle', title: null, abstract: null, year: null, venue: null, citationCount: null, url: null, externalIds: null, authors: [] },
  ],
};

export const HF_DATASETS = [
  {
    _id: '621ffdd236468d709f181d58',
    id: 'openai/gsm8k',
    author: 'openai',
    sha: 'e53f048856ff4f594e959d75785d2c2d37b678ee',
    lastModified: '2024-01-04T12:05:15.000Z',
    private: false,
    gated: false,
    disabled: false,
    downloads: 397233,
    likes: 612,
    tags: ['task_categories:text2text-generation', 'language:en', 'license:mit', 'size_categories:1K<n<10K', 'math-word-problems'],
    createdAt: '2022-04-12T10:22:10.000Z',
    key: '',
    description: 'GSM8K (Grade School Math 8K) is a dataset of 8.5K high quality grade school math word problems.',
  },
  { _id: 'x2', id: 'bad id with spaces', downloads: 1, likes: 0, tags: [] },
];

export const HF_MODELS = [
  { _id: 'm1', id: 'Qwen/Qwen2.5-0.5B-Instruct', likes: 300, downloads: 1200000, pipeline_tag: 'text-generation', library_name: 'transformers', tags: ['transformers', 'safetensors', 'qwen2'], createdAt: '2024-09-16T00:00:00.000Z' },
];

export const DATASET_CARD = `---
license: mit
language:
- en
task_categories:
- text2text-generation
dataset_info:
  features:
  - name: question
    dtype: string
  - name: answer
    dtype: string
  splits:
  - name: train
    num_examples: 7473
  - name: test
    num_examples: 1319
---
# Dataset Card for GSM8K

GSM8K consists of 8.5K grade school math word problems with step-by-step solutions.
`;

export const HTML_PAGE = `<!doctype html><html><head><title>Arithmetic tricks &amp; tips</title><style>body{color:red}</style><script>alert('x')</script></head>
<body><h1>Reverse the digits</h1><p>Writing the sum least-significant digit first helps small models.</p><!-- hidden --></body></html>`;

export class FakeResearchApis {
  readonly hits = new Map<string, number>();
  /** Path prefix → milliseconds to wait before answering (for timeouts). */
  readonly delays = new Map<string, number>();

  private constructor(
    private readonly server: Server,
    readonly baseURL: string,
  ) {}

  static async start(): Promise<FakeResearchApis> {
    let self: FakeResearchApis | undefined;
    const server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const path = url.pathname;
      self!.hits.set(path, (self!.hits.get(path) ?? 0) + 1);
      const delay = [...self!.delays.entries()].find(([p]) => path.startsWith(p))?.[1] ?? 0;
      setTimeout(() => {
        if (res.destroyed) return;
        const json = (v: unknown) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(v));
        if (path === '/api/query') {
          const q = url.searchParams.get('search_query') ?? '';
          res.writeHead(200, { 'content-type': 'application/atom+xml' }).end(q.includes('badid') ? ARXIV_ERROR : ARXIV_ATOM);
        } else if (path === '/graph/v1/paper/search') {
          if (url.searchParams.get('query') === 'ratelimited') res.writeHead(429, { 'retry-after': '5' }).end('{"message":"Too Many Requests"}');
          else json(S2_SEARCH);
        } else if (path === '/api/datasets') json(url.searchParams.get('search') === 'broken' ? { error: 'not a list' } : HF_DATASETS);
        else if (path === '/api/models') json(HF_MODELS);
        else if (/^\/datasets\/[^/]+\/[^/]+\/raw\/main\/README\.md$/.test(path)) res.writeHead(200, { 'content-type': 'text/plain' }).end(DATASET_CARD);
        else if (path === '/page') res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(HTML_PAGE);
        else if (path === '/redirect') res.writeHead(302, { location: '/page' }).end();
        else if (path === '/big') res.writeHead(200, { 'content-type': 'text/plain' }).end('y'.repeat(3 << 20));
        else res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"Not Found"}');
      }, delay);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    self = new FakeResearchApis(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return self;
  }

  /** Research settings pointing every endpoint here. */
  settings() {
    return { arxiv_url: this.baseURL, semantic_scholar_url: this.baseURL, hf_url: this.baseURL, allow_private_urls: true, timeout_ms: 2000 };
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
