// A bounded tool-calling loop shared by the Researcher (literature tools) and the Executor (file
// and command tools). The model calls tools until it calls `finish` with a result that passes its
// schema. Unknown tools, bad arguments and failing tools are answered with the error so the model
// can correct itself; steps, time and budget are bounded, and every step is reported.
import type { ChatMessage, LlmClient, ToolCall } from './client';
import type { LlmRole } from './config';
import { describeError, LlmError } from './errors';
import { compileSchema, isPlainObject, parseJsonReply, type JsonSchema } from './jsonValidation';
import { truncateMiddle } from './text';
import { redact } from '../secrets';
import type { UsageTotals } from './usage';

export interface AgentTool {
  name: string;
  description: string;
  parameters: JsonSchema;
  /** Arguments arrive validated against `parameters`. Returns text for the model. */
  run(args: Record<string, unknown>, signal: AbortSignal): Promise<string>;
}

export interface AgentStep {
  step: number;
  kind: 'tool' | 'finish' | 'text' | 'invalid' | 'error';
  tool?: string;
  args?: unknown;
  ok: boolean;
  output: string;
  tokens: number;
  costUsd: number;
}

export interface AgentFinish<T> {
  name: string;
  description: string;
  schema: JsonSchema;
  check?: (value: T) => string[];
}

export interface AgentRunOptions<T> {
  client: LlmClient;
  role: LlmRole;
  purpose: string;
  nodeId: string | null;
  system: string;
  user: string;
  tools: AgentTool[];
  finish: AgentFinish<T>;
  maxSteps: number;
  /** Wall-clock limit of the whole session. */
  timeMs?: number;
  signal?: AbortSignal;
  collector?: UsageTotals;
  maxToolOutputChars?: number;
  /** What of the transcript each step sends (the whole transcript when absent); the transcript itself is kept. */
  compact?: (messages: ChatMessage[]) => ChatMessage[];
  onStep?: (s: AgentStep) => void;
}

export interface AgentRunResult<T> {
  result?: T;
  stopReason: 'finished' | 'max_steps' | 'time_limit' | 'error' | 'aborted';
  /** Why it stopped without a result. */
  reason?: string;
  steps: number;
}

export async function runAgentLoop<T>(o: AgentRunOptions<T>): Promise<AgentRunResult<T>> {
  const tools = new Map(o.tools.map((t) => [t.name, { tool: t, check: compileSchema(t.parameters) }]));
  const checkFinish = compileSchema(o.finish.schema);
  const toolDefs = [...o.tools.map((t) => ({ name: t.name, description: t.description, parameters: t.parameters })), { name: o.finish.name, description: o.finish.description, parameters: o.finish.schema }];
  const available = [...tools.keys(), o.finish.name].join(', ');
  const maxOut = o.maxToolOutputChars ?? 8000;
  const messages: ChatMessage[] = [
    { role: 'system', content: o.system },
    { role: 'user', content: o.user },
  ];
  const deadline = new AbortController();
  const timer = o.timeMs ? setTimeout(() => deadline.abort(), o.timeMs) : undefined;
  const onOuter = () => deadline.abort();
  o.signal?.addEventListener('abort', onOuter, { once: true });
  let step = 0;
  const report = (s: Omit<AgentStep, 'step' | 'tokens' | 'costUsd'> & { tokens?: number; costUsd?: number }) => o.onStep?.({ step, tokens: 0, costUsd: 0, ...s });
  try {
    while (step < o.maxSteps) {
      step++;
      if (o.signal?.aborted) return { stopReason: 'aborted', reason: 'cancelled', steps: step - 1 };
      if (deadline.signal.aborted) return { stopReason: 'time_limit', reason: `time limit of ${((o.timeMs ?? 0) / 1000).toFixed(0)} s reached`, steps: step - 1 };
      let reply;
      try {
        reply = await o.client.complete({ role: o.role, purpose: o.purpose, nodeId: o.nodeId, messages: o.compact ? o.compact(messages) : messages, tools: toolDefs, signal: deadline.signal, collector: o.collector });
      } catch (e) {
        const err = e instanceof LlmError ? e : new LlmError('connection', describeError(e));
        if (err.kind === 'aborted' && !o.signal?.aborted) return { stopReason: 'time_limit', reason: `time limit of ${((o.timeMs ?? 0) / 1000).toFixed(0)} s reached`, steps: step };
        report({ kind: 'error', ok: false, output: describeError(err) });
        if (err.correctable) {
          messages.push({ role: 'user', content: `Your last reply could not be used (${err.message}). Call one of the tools (${available}).` });
          continue;
        }
        return { stopReason: err.kind === 'aborted' ? 'aborted' : 'error', reason: describeError(err), steps: step };
      }
      const cost = { tokens: reply.usage.tokens, costUsd: reply.usage.costUsd };
      if (reply.toolCalls.length === 0) {
        report({ kind: 'text', ok: false, output: truncateMiddle(reply.content, 2000), ...cost });
        messages.push({ role: 'assistant', content: reply.content.slice(0, 8000) });
        messages.push({ role: 'user', content: `Use the tools (${available}). When you are done, call ${o.finish.name}.` });
        continue;
      }
      messages.push({
        role: 'assistant',
        content: reply.content || null,
        tool_calls: reply.toolCalls.map((c) => ({ id: c.id, type: 'function' as const, function: { name: c.name, arguments: c.arguments } })),
      });
      let charged = false;
      const costOnce = () => {
        if (charged) return {};
        charged = true;
        return cost;
      };
      for (const call of reply.toolCalls) {
        const outcome = await handleCall(call);
        if (outcome.finished) return { result: outcome.value, stopReason: 'finished', steps: step };
        messages.push({ role: 'tool', tool_call_id: call.id, content: outcome.text });
      }

      async function handleCall(call: ToolCall): Promise<{ finished: true; value: T } | { finished: false; text: string }> {
        const parsed = parseJsonReply(call.arguments || '{}');
        const args = parsed.ok ? parsed.value : undefined;
        if (call.name === o.finish.name) {
          const problems = !parsed.ok ? [parsed.error] : checkFinish(args);
          if (problems.length === 0 && o.finish.check) problems.push(...o.finish.check(args as T));
          if (problems.length === 0) {
            report({ kind: 'finish', tool: call.name, args, ok: true, output: 'finished', ...costOnce() });
            return { finished: true, value: args as T };
          }
          const text = `${o.finish.name} rejected: ${problems.join('; ')}`;
          report({ kind: 'invalid', tool: call.name, args, ok: false, output: text, ...costOnce() });
          return { finished: false, text };
        }
        const entry = tools.get(call.name);
        if (!entry) {
          const text = `unknown tool '${call.name.slice(0, 80)}'; available tools: ${available}`;
          report({ kind: 'invalid', tool: call.name.slice(0, 80), ok: false, output: text, ...costOnce() });
          return { finished: false, text };
        }
        const problems = !parsed.ok ? [parsed.error] : isPlainObject(args) ? entry.check(args) : ['arguments must be a JSON object'];
        if (problems.length > 0) {
          const text = `invalid arguments for ${call.name}: ${problems.join('; ')}`;
          report({ kind: 'invalid', tool: call.name, args, ok: false, output: text, ...costOnce() });
          return { finished: false, text };
        }
        try {
          // Tool output goes back to the model and into records: never with a secret in it.
          const out = redact(truncateMiddle(await entry.tool.run(args as Record<string, unknown>, deadline.signal), maxOut));
          report({ kind: 'tool', tool: call.name, args, ok: true, output: out, ...costOnce() });
          return { finished: false, text: out };
        } catch (e) {
          const text = redact(`${call.name} failed: ${describeError(e)}`);
          report({ kind: 'tool', tool: call.name, args, ok: false, output: text, ...costOnce() });
          return { finished: false, text };
        }
      }
    }
    return { stopReason: 'max_steps', reason: `no ${o.finish.name} within ${o.maxSteps} steps`, steps: step };
  } finally {
    if (timer) clearTimeout(timer);
    o.signal?.removeEventListener('abort', onOuter);
  }
}
