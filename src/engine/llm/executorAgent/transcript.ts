// What an Executor session re-sends each step. The full transcript is kept (and recorded), but the
// model is sent only the newest tool result verbatim and the one before it cut to its start and end;
// older results become one line each (what was called, how big the answer was, how it began and
// ended), and the long arguments of older tool calls (a whole file written) are shortened. The
// model can call a tool again to see an old result.
import type { ChatMessage } from '../client';
import { oneLine, truncateMiddle } from '../text';

export interface TranscriptLimits {
  /** Tool results sent verbatim, counted from the newest. */
  verbatim: number;
  /** Tool results after those sent cut to clipChars. */
  clipped: number;
  clipChars: number;
  /** Characters an older tool call's string argument keeps. */
  argChars: number;
}

export const EXECUTOR_TRANSCRIPT: TranscriptLimits = { verbatim: 1, clipped: 1, clipChars: 1200, argChars: 120 };

type ToolCallOf = { id: string; function: { name: string; arguments: string } };

function callsOf(m: ChatMessage): ToolCallOf[] {
  return m.role === 'assistant' && Array.isArray(m.tool_calls) ? (m.tool_calls as ToolCallOf[]) : [];
}

/** A tool call's arguments with every long string shortened; unparsable arguments are shortened as text. */
export function shortenArguments(args: string, maxChars: number): string {
  if (args.length <= maxChars) return args;
  let value: unknown;
  try {
    value = JSON.parse(args);
  } catch {
    return JSON.stringify(`${args.slice(0, maxChars)}…[${args.length - maxChars} characters cut]`);
  }
  const shorten = (v: unknown): unknown => {
    if (typeof v === 'string') return v.length > maxChars ? `${v.slice(0, maxChars)}…[${v.length - maxChars} characters cut]` : v;
    if (Array.isArray(v)) return v.map(shorten);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, shorten(x)]));
    return v;
  };
  return JSON.stringify(shorten(value));
}

/** One line standing for an older tool result: its size, first and last lines (a log's error is at its end). */
export function summarizeResult(tool: string, args: string, text: string): string {
  const lines = text.split('\n').filter((l) => l.trim());
  const first = oneLine(lines[0] ?? '', 100);
  const last = lines.length > 1 ? `, ending "${oneLine(lines[lines.length - 1], 100)}"` : '';
  return `[earlier result of ${tool}(${oneLine(args, 80)}): ${text.length} characters, beginning "${first}"${last}]`;
}

/** The messages to send: a new array; the given transcript is not changed. */
export function compactTranscript(messages: readonly ChatMessage[], limits: TranscriptLimits = EXECUTOR_TRANSCRIPT): ChatMessage[] {
  const calls = new Map<string, ToolCallOf>();
  for (const m of messages) for (const c of callsOf(m)) calls.set(c.id, c);
  const toolIdx = messages.map((m, i) => (m.role === 'tool' ? i : -1)).filter((i) => i >= 0);
  // Each tool result's age: 0 for the newest.
  const age = new Map(toolIdx.map((i, k) => [i, toolIdx.length - 1 - k]));
  const kept = limits.verbatim + limits.clipped;
  // Calls whose results are summarised: their arguments have been acted on.
  const summarised = new Set(toolIdx.filter((i) => (age.get(i) ?? 0) >= kept).map((i) => (messages[i] as { tool_call_id: string }).tool_call_id));
  return messages.map((m, i) => {
    const a = age.get(i);
    if (a !== undefined && a >= limits.verbatim && m.role === 'tool') {
      const text = typeof m.content === 'string' ? m.content : JSON.stringify(m.content);
      if (a < kept) return { ...m, content: truncateMiddle(text, limits.clipChars) };
      const call = calls.get(m.tool_call_id);
      return { ...m, content: summarizeResult(call?.function.name ?? 'a tool', call?.function.arguments ?? '', text) };
    }
    const own = callsOf(m);
    if (own.length && own.every((c) => summarised.has(c.id))) {
      return { ...m, tool_calls: own.map((c) => ({ ...c, type: 'function' as const, function: { ...c.function, arguments: shortenArguments(c.function.arguments, limits.argChars) } })) };
    }
    return m;
  });
}
