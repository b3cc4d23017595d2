// The one place that talks to the OpenAI-compatible endpoint. It checks the budget before every
// call, bounds time and size, prices and records every reply, turns every failure into an
// LlmError with a clear kind, and for structured replies validates the JSON against its schema and
// feeds the problems back to the model a bounded number of times.
import OpenAI from 'openai';
import type { Fetch } from 'openai/core';
import type {
  ChatCompletionChunk,
  ChatCompletionCreateParamsBase,
  ChatCompletionMessageParam,
  ChatCompletionTool,
} from 'openai/resources/chat/completions';
import { boundedFetch, findCause, ReplyTimeoutError, ReplyTooLargeError } from './boundedFetch';
import type { LlmConfig, LlmRole } from './config';
import { LlmError } from './errors';
import { redact, registerSecret } from '../secrets';
import { compileSchema, isPlainObject, parseJsonReply, type JsonSchema } from './jsonValidation';
import { addUsage, type CallUsage, type UsageMeter, type UsageTotals } from './usage';
import { CHARS_PER_TOKEN, requestChars, type SentRequest } from './tokenEstimate';

export type ChatMessage = ChatCompletionMessageParam;

export interface ToolDef {
  name: string;
  description: string;
  parameters: JsonSchema;
}

export interface ToolCall {
  id: string;
  name: string;
  arguments: string;
}

export interface CompletionRequest {
  role: LlmRole;
  purpose: string;
  nodeId: string | null;
  messages: ChatMessage[];
  tools?: ToolDef[];
  /** Forces the model to call this tool. */
  forceTool?: string;
  responseFormat?: { name: string; schema: JsonSchema; strict: boolean };
  signal?: AbortSignal;
  /** Every call's usage is added here too (a proposer's batch, an agent session). */
  collector?: UsageTotals;
}

export interface Completion {
  content: string;
  toolCalls: ToolCall[];
  finishReason: string;
  usage: CallUsage;
}

export interface StructuredRequest<T> {
  role: LlmRole;
  purpose: string;
  nodeId: string | null;
  messages: ChatMessage[];
  name: string;
  schema: JsonSchema;
  /** Replies are validated against this one when given: a schema that lets a reply omit a field the model is asked for. */
  acceptSchema?: JsonSchema;
  /** Strict structured outputs need every property required and no free-form objects. */
  strict?: boolean;
  /** Checks beyond the schema; problems are fed back to the model like schema errors. */
  check?: (value: T) => string[];
  attempts?: number;
  signal?: AbortSignal;
  collector?: UsageTotals;
}

export interface StructuredResult<T> {
  value: T;
  attempts: number;
  /** Problems of the attempts that were rejected, in order. */
  rejected: string[];
}

/** Reasoning models take max_completion_tokens and no temperature; older servers want max_tokens. */
function usesCompletionTokens(model: string): boolean {
  const m = model.slice(model.lastIndexOf('/') + 1);
  return /^(o\d|gpt-5)/.test(m);
}

export class LlmClient {
  private readonly openai: OpenAI;
  private readonly validators = new Map<JsonSchema, (v: unknown) => string[]>();
  /** Starts as configured; servers that reject response_format json_schema switch it to 'tool'. */
  private structuredMode: 'json_schema' | 'tool';

  constructor(
    readonly config: LlmConfig,
    readonly meter: UsageMeter,
  ) {
    this.structuredMode = config.structured;
    registerSecret(config.apiKey);
    const headers = { ...config.headers };
    if (config.apiKeyHeader) headers[config.apiKeyHeader] = config.apiKey;
    this.openai = new OpenAI({
      apiKey: config.apiKey,
      baseURL: config.baseURL,
      timeout: config.timeoutMs,
      maxRetries: config.maxRetries,
      defaultHeaders: headers,
      defaultQuery: Object.keys(config.query).length ? config.query : undefined,
      // The client's types describe node-fetch; Node's built-in fetch is call-compatible.
      fetch: boundedFetch({ maxBytes: config.maxReplyBytes, timeoutMs: config.timeoutMs }) as unknown as Fetch,
    });
  }

  model(role: LlmRole): string {
    return this.config.models[role];
  }

  async complete(req: CompletionRequest): Promise<Completion> {
    this.meter.assertBudget();
    if (req.signal?.aborted) throw new LlmError('aborted', 'cancelled before the call');
    const model = this.model(req.role);
    const params: ChatCompletionCreateParamsBase = { model, messages: req.messages };
    if (usesCompletionTokens(model)) params.max_completion_tokens = this.config.maxOutputTokens;
    else params.max_tokens = this.config.maxOutputTokens;
    if (this.config.temperature !== undefined) params.temperature = this.config.temperature;
    if (req.tools?.length) {
      params.tools = req.tools.map((t): ChatCompletionTool => ({ type: 'function', function: { name: t.name, description: t.description, parameters: t.parameters } }));
      if (req.forceTool) params.tool_choice = { type: 'function', function: { name: req.forceTool } };
    }
    if (req.responseFormat) {
      params.response_format = { type: 'json_schema', json_schema: { name: req.responseFormat.name, schema: req.responseFormat.schema, strict: req.responseFormat.strict } };
    }
    let raw: { content: string; refusal: string; toolCalls: ToolCall[]; finishReason: string; usage?: { prompt_tokens?: unknown; completion_tokens?: unknown } };
    // The SDK adds an abort listener to the signal it is given and never removes it; a
    // long-lived caller signal would collect one per call. Each call gets its own child signal.
    const call = childSignal(req.signal);
    try {
      raw = this.config.stream ? await this.streamed(params, call.signal) : await this.single(params, call.signal);
    } catch (e) {
      throw this.toLlmError(e, req.signal);
    } finally {
      call.release();
    }
    const usage = this.charge(req, model, raw, params);
    if (raw.refusal) throw new LlmError('refusal', `the model refused: ${raw.refusal.slice(0, 300)}`);
    if (raw.finishReason === 'content_filter') throw new LlmError('refusal', 'the reply was stopped by the provider\'s content filter');
    if (raw.finishReason === 'length') throw new LlmError('truncated', `the reply was cut off at the output token limit (${this.config.maxOutputTokens}); it must be shorter`);
    if (!raw.finishReason) throw new LlmError('truncated', 'the reply ended before it was complete (no finish_reason)');
    if (!raw.content.trim() && raw.toolCalls.length === 0) throw new LlmError('empty', 'the reply had neither content nor a tool call');
    return { content: raw.content, toolCalls: raw.toolCalls, finishReason: raw.finishReason, usage };
  }

  /** Asks for JSON matching the schema; invalid replies go back to the model with the problems. */
  async structured<T>(req: StructuredRequest<T>): Promise<StructuredResult<T>> {
    const attempts = Math.max(1, req.attempts ?? this.config.replyAttempts);
    const validate = this.validator(req.acceptSchema ?? req.schema);
    const messages = [...req.messages];
    const rejected: string[] = [];
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const asTool = this.structuredMode === 'tool';
      let reply: Completion;
      try {
        reply = await this.complete({
          role: req.role,
          purpose: req.purpose,
          nodeId: req.nodeId,
          messages,
          signal: req.signal,
          collector: req.collector,
          ...(asTool
            ? { tools: [{ name: req.name, description: 'Submit your answer.', parameters: req.schema }], forceTool: req.name }
            : { responseFormat: { name: req.name, schema: req.schema, strict: req.strict ?? false } }),
        });
      } catch (e) {
        // Some OpenAI-compatible servers have no json_schema response format: use a forced tool instead.
        if (!asTool && e instanceof LlmError && e.kind === 'http' && /HTTP 4(00|22)/.test(e.message) && /response_format|json_schema|structured/i.test(e.message)) {
          this.structuredMode = 'tool';
          attempt--;
          continue;
        }
        if (e instanceof LlmError && e.correctable && attempt < attempts) {
          rejected.push(`attempt ${attempt}: ${e.kind}: ${e.message}`);
          messages.push({ role: 'user', content: `Your last reply could not be used (${e.message}). Reply again with one complete JSON object that satisfies the schema.` });
          continue;
        }
        if (e instanceof LlmError && rejected.length) throw new LlmError(e.kind, `${e.message} (after ${rejected.length} rejected attempt(s): ${rejected.join(' | ')})`);
        throw e;
      }
      const call = asTool ? reply.toolCalls[0] : undefined;
      // A server that ignores tool_choice may still answer with the JSON as content.
      const text = asTool ? (call ? (call.name === req.name ? call.arguments : '') : reply.content) : reply.content;
      const problems: string[] = [];
      let value: unknown;
      if (asTool && call && call.name !== req.name) problems.push(`called unknown tool '${call.name.slice(0, 80)}' instead of ${req.name}`);
      else {
        const parsed = parseJsonReply(text);
        if (!parsed.ok) problems.push(parsed.error);
        else {
          value = parsed.value;
          problems.push(...validate(value));
          if (problems.length === 0 && req.check) problems.push(...req.check(value as T));
        }
      }
      if (problems.length === 0) return { value: value as T, attempts: attempt, rejected };
      const kind = problems.some((p) => p.startsWith('not valid JSON')) ? 'malformed' : 'schema';
      rejected.push(`attempt ${attempt}: ${kind}: ${problems.join('; ')}`);
      if (attempt === attempts) break;
      const feedback = `Your reply was invalid:\n- ${problems.join('\n- ')}\nReply again with one complete JSON object that satisfies the schema and fixes these problems.`;
      if (asTool && call) {
        messages.push({ role: 'assistant', content: null, tool_calls: [{ id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } }] });
        messages.push({ role: 'tool', tool_call_id: call.id, content: feedback });
      } else {
        messages.push({ role: 'assistant', content: text.slice(0, 4000) });
        messages.push({ role: 'user', content: feedback });
      }
    }
    const last = rejected[rejected.length - 1] ?? '';
    throw new LlmError(last.includes(': malformed:') ? 'malformed' : 'schema', `no valid reply after ${attempts} attempt(s): ${rejected.join(' | ')}`);
  }

  private validator(schema: JsonSchema): (v: unknown) => string[] {
    let v = this.validators.get(schema);
    if (!v) {
      v = compileSchema(schema);
      this.validators.set(schema, v);
    }
    return v;
  }

  private async single(params: ChatCompletionCreateParamsBase, signal?: AbortSignal) {
    const r: unknown = await this.openai.chat.completions.create({ ...params, stream: false }, { signal });
    const rec = (v: unknown): Record<string, unknown> => (isPlainObject(v) ? v : {});
    const choices = rec(r).choices;
    if (!Array.isArray(choices) || choices.length === 0) throw new LlmError('malformed', 'the reply has no choices');
    const choice = rec(choices[0]);
    const msg = rec(choice.message);
    const toolCalls: ToolCall[] = [];
    if (Array.isArray(msg.tool_calls)) {
      for (const [i, tc] of msg.tool_calls.entries()) {
        const fn = rec(rec(tc).function);
        toolCalls.push({ id: typeof rec(tc).id === 'string' ? String(rec(tc).id) : `call_${i}`, name: typeof fn.name === 'string' ? fn.name : '', arguments: typeof fn.arguments === 'string' ? fn.arguments : '' });
      }
    }
    const usage = rec(rec(r).usage);
    return {
      content: typeof msg.content === 'string' ? msg.content : '',
      refusal: typeof msg.refusal === 'string' ? msg.refusal : '',
      toolCalls,
      finishReason: typeof choice.finish_reason === 'string' ? choice.finish_reason : '',
      usage: Object.keys(usage).length ? usage : undefined,
    };
  }

  private async streamed(params: ChatCompletionCreateParamsBase, signal?: AbortSignal) {
    const stream = await this.openai.chat.completions.create({ ...params, stream: true, stream_options: { include_usage: true } }, { signal });
    let content = '';
    let refusal = '';
    let finishReason = '';
    let usage: { prompt_tokens?: unknown; completion_tokens?: unknown } | undefined;
    const calls = new Map<number, ToolCall>();
    for await (const chunk of stream as AsyncIterable<ChatCompletionChunk>) {
      if (chunk && typeof chunk === 'object' && chunk.usage) usage = chunk.usage;
      const choice = Array.isArray(chunk?.choices) ? chunk.choices[0] : undefined;
      if (!choice) continue;
      const d = choice.delta ?? {};
      if (typeof d.content === 'string') content += d.content;
      if (typeof d.refusal === 'string') refusal += d.refusal;
      if (Array.isArray(d.tool_calls)) {
        for (const tc of d.tool_calls) {
          const idx = typeof tc.index === 'number' ? tc.index : 0;
          const cur = calls.get(idx) ?? { id: `call_${idx}`, name: '', arguments: '' };
          if (typeof tc.id === 'string' && tc.id) cur.id = tc.id;
          if (typeof tc.function?.name === 'string') cur.name += tc.function.name;
          if (typeof tc.function?.arguments === 'string') cur.arguments += tc.function.arguments;
          calls.set(idx, cur);
        }
      }
      if (typeof choice.finish_reason === 'string' && choice.finish_reason) finishReason = choice.finish_reason;
    }
    return { content, refusal, toolCalls: [...calls.entries()].sort((a, b) => a[0] - b[0]).map(([, c]) => c), finishReason, usage };
  }

  private charge(req: CompletionRequest, model: string, raw: { content: string; toolCalls: ToolCall[]; usage?: { prompt_tokens?: unknown; completion_tokens?: unknown } }, sent: ChatCompletionCreateParamsBase): CallUsage {
    const p = raw.usage?.prompt_tokens;
    const c = raw.usage?.completion_tokens;
    const valid = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x) && x >= 0;
    const estimated = !(valid(p) && valid(c));
    // Without the server's count: everything the request sent (tool calls, tool and reply schemas too).
    const promptChars = requestChars(sent as SentRequest);
    const outChars = raw.content.length + raw.toolCalls.reduce((n, t) => n + t.name.length + t.arguments.length, 0);
    const u = this.meter.record({
      role: req.role,
      model,
      nodeId: req.nodeId,
      purpose: req.purpose,
      promptTokens: estimated ? Math.ceil(promptChars / CHARS_PER_TOKEN) : Math.round(p as number),
      completionTokens: estimated ? Math.ceil(outChars / CHARS_PER_TOKEN) : Math.round(c as number),
      estimated,
    });
    if (req.collector) addUsage(req.collector, u);
    return u;
  }

  /** Every error leaves here redacted: a server may echo the Authorization header. */
  private toLlmError(e: unknown, signal?: AbortSignal): LlmError {
    const err = this.classify(e, signal);
    const clean = redact(err.message);
    return clean === err.message ? err : new LlmError(err.kind, clean);
  }

  private classify(e: unknown, signal?: AbortSignal): LlmError {
    if (e instanceof LlmError) return e;
    const tooLarge = findCause(e, ReplyTooLargeError);
    if (tooLarge) return new LlmError('too_large', `the reply exceeded ${tooLarge.limitBytes} bytes and was dropped`);
    const timeout = findCause(e, ReplyTimeoutError);
    if (timeout) return new LlmError('timeout', `${timeout.message} from ${this.host()}`);
    if (e instanceof OpenAI.APIConnectionTimeoutError) return new LlmError('timeout', `no reply within ${(this.config.timeoutMs / 1000).toFixed(1)} s from ${this.host()}`);
    if (signal?.aborted || e instanceof OpenAI.APIUserAbortError) return new LlmError('aborted', 'the call was cancelled');
    if (e instanceof OpenAI.APIError && typeof e.status === 'number') {
      const retried = this.config.maxRetries > 0 && (e.status === 429 || e.status >= 500 || e.status === 408 || e.status === 409) ? ` after ${this.config.maxRetries} retr${this.config.maxRetries === 1 ? 'y' : 'ies'}` : '';
      const detail = oneLine(e.message);
      if (e.status === 429) return new LlmError('rate_limited', `rate limited (HTTP 429)${retried}: ${detail}`);
      if (e.status === 401 || e.status === 403) return new LlmError('http', `HTTP ${e.status}: the API key was refused by ${this.host()}: ${detail}`);
      return new LlmError('http', `HTTP ${e.status}${retried}: ${detail}`);
    }
    if (e instanceof OpenAI.APIConnectionError) {
      const cause = (e as Error & { cause?: unknown }).cause;
      return new LlmError('connection', `cannot reach ${this.host()}: ${oneLine(cause instanceof Error ? cause.message : e.message)}`);
    }
    if (e instanceof SyntaxError) return new LlmError('malformed', `the reply body is not valid JSON (cut off?): ${oneLine(e.message)}`);
    if (e instanceof Error && (e.name === 'AbortError' || /terminated|aborted|socket|ECONNRESET/i.test(e.message))) {
      return new LlmError('truncated', `the connection closed before the reply was complete: ${oneLine(e.message)}`);
    }
    return new LlmError('connection', oneLine(e instanceof Error ? e.message : String(e)));
  }

  private host(): string {
    try {
      return new URL(this.config.baseURL).host;
    } catch {
      return this.config.baseURL;
    }
  }
}

function oneLine(s: string): string {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length > 300 ? `${t.slice(0, 300)}…` : t;
}

/** A signal that aborts with `parent`, whose link to the parent is removed by release(). */
export function childSignal(parent?: AbortSignal): { signal: AbortSignal | undefined; release: () => void } {
  if (!parent) return { signal: undefined, release: () => undefined };
  const child = new AbortController();
  if (parent.aborted) child.abort(parent.reason);
  const onAbort = () => child.abort(parent.reason);
  parent.addEventListener('abort', onAbort, { once: true });
  return { signal: child.signal, release: () => parent.removeEventListener('abort', onAbort) };
}
