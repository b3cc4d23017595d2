// A fake OpenAI-compatible server on 127.0.0.1 for driving the agents through real HTTP with the
// real `openai` client: POST /v1/chat/completions answers with content, tool calls, structured
// JSON (as content, or as the forced tool's arguments), SSE streams, refusals, error statuses with
// retry-after, hangs, truncated bodies and huge replies. Replies are scripted per test (a queue,
// then a handler function); every request is recorded.
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ChatRequestBody {
  model: string;
  messages: { role: string; content?: unknown; tool_calls?: { id: string; function: { name: string; arguments: string } }[]; tool_call_id?: string }[];
  tools?: { type: string; function: { name: string; description?: string; parameters?: unknown } }[];
  tool_choice?: unknown;
  response_format?: { type: string; json_schema?: { name: string; schema: unknown; strict?: boolean } };
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  max_tokens?: number;
  max_completion_tokens?: number;
}

export interface RecordedRequest {
  body: ChatRequestBody;
  headers: IncomingHttpHeaders;
  /** json_schema name, forced tool name, 'tools' (agent loop) or 'chat'. */
  kind: string;
  /** Text of the last user or tool message. */
  lastMessage: string;
}

type Usage = { prompt_tokens: number; completion_tokens: number } | null;

export type FakeReply = (
  | { json: unknown }
  | { content: string; finishReason?: string }
  | { toolCalls: { name: string; arguments: string | object; id?: string }[] }
  | { refusal: string }
  | { status: number; retryAfter?: string; retryAfterMs?: string; body?: string }
  | { hang: 'headers' | 'body' }
  | { truncated: true }
  | { huge: number }
  | { raw: string; status?: number; contentType?: string }
) & { usage?: Usage; finishReason?: string };

export type FakeHandler = (req: RecordedRequest) => FakeReply | Promise<FakeReply>;

export function requestKind(body: ChatRequestBody): string {
  if (body.response_format?.json_schema?.name) return body.response_format.json_schema.name;
  const tc = body.tool_choice as { function?: { name?: string } } | undefined;
  if (tc?.function?.name) return tc.function.name;
  if (body.tools?.length) return 'tools';
  return 'chat';
}

function lastMessageText(body: ChatRequestBody): string {
  const m = [...body.messages].reverse().find((x) => x.role === 'user' || x.role === 'tool');
  return typeof m?.content === 'string' ? m.content : JSON.stringify(m?.content ?? '');
}

const DEFAULT_USAGE = { prompt_tokens: 100, completion_tokens: 20 };

export class FakeOpenAI {
  readonly requests: RecordedRequest[] = [];
  private readonly queue: FakeReply[] = [];
  handler?: FakeHandler;
  private readonly hanging = new Set<ServerResponse>();
  private counter = 0;

  private constructor(
    private readonly server: Server,
    readonly baseURL: string,
  ) {}

  static async start(handler?: FakeHandler): Promise<FakeOpenAI> {
    let self: FakeOpenAI | undefined;
    const server = createServer((req, res) => void self!.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    self = new FakeOpenAI(server, `http://127.0.0.1:${port}/v1`);
    self.handler = handler;
    return self;
  }

  /** Queues replies, used before the handler. */
  reply(...replies: FakeReply[]): this {
    this.queue.push(...replies);
    return this;
  }

  get pending(): number {
    return this.queue.length;
  }

  async close(): Promise<void> {
    for (const r of this.hanging) r.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: `no route ${req.method} ${req.url}` } }));
      return;
    }
    let body: ChatRequestBody;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as ChatRequestBody;
    } catch {
      res.writeHead(400).end('{"error":{"message":"bad json"}}');
      return;
    }
    const rec: RecordedRequest = { body, headers: req.headers, kind: requestKind(body), lastMessage: lastMessageText(body) };
    this.requests.push(rec);
    let reply: FakeReply;
    try {
      reply = this.queue.shift() ?? (this.handler ? await this.handler(rec) : { status: 500, body: '{"error":{"message":"no scripted reply"}}' });
    } catch (e) {
      reply = { status: 500, body: JSON.stringify({ error: { message: `handler threw: ${(e as Error).message}` } }) };
    }
    this.send(rec, reply, res);
  }

  private send(rec: RecordedRequest, reply: FakeReply, res: ServerResponse): void {
    const usage = reply.usage === undefined ? DEFAULT_USAGE : reply.usage;
    if ('raw' in reply) {
      res.writeHead(reply.status ?? 200, { 'content-type': reply.contentType ?? 'application/json' }).end(reply.raw);
      return;
    }
    if ('status' in reply) {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (reply.retryAfter !== undefined) headers['retry-after'] = reply.retryAfter;
      if (reply.retryAfterMs !== undefined) headers['retry-after-ms'] = reply.retryAfterMs;
      res.writeHead(reply.status, headers).end(reply.body ?? JSON.stringify({ error: { message: `fake error ${reply.status}`, type: 'fake' } }));
      return;
    }
    if ('hang' in reply) {
      this.hanging.add(res);
      if (reply.hang === 'body') {
        res.writeHead(200, { 'content-type': rec.body.stream ? 'text/event-stream' : 'application/json' });
        res.write(rec.body.stream ? 'data: {"id":"x","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant"}}]}\n\n' : '{"id":"x",');
      }
      return;
    }
    // Build the assistant message.
    const forcedTool = (rec.body.tool_choice as { function?: { name?: string } } | undefined)?.function?.name;
    let content: string | null = null;
    let refusal: string | null = null;
    let toolCalls: { id: string; type: 'function'; function: { name: string; arguments: string } }[] | undefined;
    let finish = reply.finishReason ?? 'stop';
    if ('json' in reply) {
      const text = JSON.stringify(reply.json);
      if (forcedTool) {
        toolCalls = [{ id: `call_${++this.counter}`, type: 'function', function: { name: forcedTool, arguments: text } }];
        finish = reply.finishReason ?? 'tool_calls';
      } else content = text;
    } else if ('content' in reply) {
      content = reply.content;
      finish = reply.finishReason ?? 'stop';
    } else if ('toolCalls' in reply) {
      toolCalls = reply.toolCalls.map((c) => ({ id: c.id ?? `call_${++this.counter}`, type: 'function' as const, function: { name: c.name, arguments: typeof c.arguments === 'string' ? c.arguments : JSON.stringify(c.arguments) } }));
      finish = reply.finishReason ?? 'tool_calls';
    } else if ('refusal' in reply) {
      refusal = reply.refusal;
    } else if ('huge' in reply) {
      content = 'x'.repeat(reply.huge);
    }
    const truncated = 'truncated' in reply;
    if (truncated) content = '{"proposals": [{"title": "half a reply", "hypo';

    if (rec.body.stream) {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      const chunk = (delta: object, finishReason: string | null = null, extra: object = {}) =>
        res.write(`data: ${JSON.stringify({ id: 'chatcmpl-fake', object: 'chat.completion.chunk', created: 1, model: rec.body.model, choices: [{ index: 0, delta, finish_reason: finishReason }], ...extra })}\n\n`);
      chunk({ role: 'assistant', content: '' });
      if (content !== null) {
        const third = Math.ceil(content.length / 3) || 1;
        for (let i = 0; i < content.length; i += third) chunk({ content: content.slice(i, i + third) });
      }
      if (refusal !== null) chunk({ refusal });
      if (toolCalls) {
        toolCalls.forEach((tc, index) => {
          chunk({ tool_calls: [{ index, id: tc.id, type: 'function', function: { name: tc.function.name, arguments: '' } }] });
          const a = tc.function.arguments;
          const half = Math.ceil(a.length / 2);
          chunk({ tool_calls: [{ index, function: { arguments: a.slice(0, half) } }] });
          chunk({ tool_calls: [{ index, function: { arguments: a.slice(half) } }] });
        });
      }
      if (truncated) {
        res.socket?.destroy();
        return;
      }
      chunk({}, finish);
      if (rec.body.stream_options?.include_usage && usage) {
        res.write(`data: ${JSON.stringify({ id: 'chatcmpl-fake', object: 'chat.completion.chunk', created: 1, model: rec.body.model, choices: [], usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens } })}\n\n`);
      }
      res.end('data: [DONE]\n\n');
      return;
    }
    const message: Record<string, unknown> = { role: 'assistant', content, refusal };
    if (toolCalls) message.tool_calls = toolCalls;
    const payload = JSON.stringify({
      id: 'chatcmpl-fake',
      object: 'chat.completion',
      created: 1,
      model: rec.body.model,
      choices: [{ index: 0, message, finish_reason: finish, logprobs: null }],
      ...(usage ? { usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens } } : {}),
    });
    if (truncated) {
      // Promise more bytes than are sent, then drop the connection mid-body.
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(payload.length + 500) });
      res.write(payload.slice(0, Math.floor(payload.length / 2)));
      setTimeout(() => res.socket?.destroy(), 10);
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(payload);
  }
}
