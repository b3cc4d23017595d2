// What an Executor session re-sends: the newest tool result whole, the one before cut to its ends,
// older ones as one line, and the long arguments of older tool calls shortened; the log tool keeps
// the end of a log and says where the rest is.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ChatMessage } from '../../../src/engine/llm/client';
import { clipLogTail } from '../../../src/engine/llm/executorAgent/tools';
import { compactTranscript, shortenArguments, summarizeResult } from '../../../src/engine/llm/executorAgent/transcript';

function session(results: string[], argSize = 10): ChatMessage[] {
  const out: ChatMessage[] = [
    { role: 'system', content: 'system' },
    { role: 'user', content: 'task' },
  ];
  results.forEach((r, i) => {
    out.push({ role: 'assistant', content: null, tool_calls: [{ id: `c${i}`, type: 'function', function: { name: i % 2 ? 'read_file' : 'write_file', arguments: JSON.stringify({ path: `f${i}`, content: 'y'.repeat(argSize) }) } }] });
    out.push({ role: 'tool', tool_call_id: `c${i}`, content: r });
  });
  return out;
}

test('compactTranscript: newest result whole, the one before clipped, older ones one line each', () => {
  const big = (tag: string) => `${tag} first line\n${'x'.repeat(5000)}\n${tag} last line`;
  const messages = session([big('A'), big('B'), big('C'), big('D')], 500);
  const before = JSON.stringify(messages);
  const out = compactTranscript(messages, { verbatim: 1, clipped: 1, clipChars: 800, argChars: 50 });
  assert.equal(JSON.stringify(messages), before, 'the transcript itself is not changed');
  assert.equal(out.length, messages.length);
  const tools = out.filter((m) => m.role === 'tool').map((m) => String(m.content));
  assert.equal(tools[3], big('D'));
  assert.ok(tools[2].length <= 800 && tools[2].startsWith('C first line') && tools[2].endsWith('C last line'));
  for (const [i, tag] of [[0, 'A'], [1, 'B']] as const) {
    assert.ok(!tools[i].includes('\n'), 'one line');
    assert.match(tools[i], new RegExp(`^\\[earlier result of (write|read)_file\\(\\{"path":"f${i}".*\\): ${big(tag).length} characters, beginning "${tag} first line", ending "${tag} last line"\\]$`));
  }
  // Arguments of turns before the oldest result still sent are shortened, still valid JSON; later ones are whole.
  const args = out.filter((m) => m.role === 'assistant').map((m) => (m as { tool_calls: { function: { arguments: string } }[] }).tool_calls[0].function.arguments);
  for (const a of args.slice(0, 2)) {
    const v = JSON.parse(a) as { path: string; content: string };
    assert.ok(v.content.length < 100 && v.content.includes('characters cut'), v.content);
  }
  for (const a of args.slice(2)) assert.equal((JSON.parse(a) as { content: string }).content.length, 500);
});

test('compactTranscript leaves a short session as it is', () => {
  const messages = session(['one', 'two']);
  assert.deepEqual(compactTranscript(messages, { verbatim: 1, clipped: 1, clipChars: 800, argChars: 50 }), messages);
});

test('shortenArguments and summarizeResult', () => {
  assert.equal(shortenArguments('{"a":"short"}', 100), '{"a":"short"}');
  const v = JSON.parse(shortenArguments(JSON.stringify({ a: 'z'.repeat(300), n: 3, list: ['q'.repeat(300)] }), 20)) as { a: string; n: number; list: string[] };
  assert.equal(v.a, `${'z'.repeat(20)}…[280 characters cut]`);
  assert.equal(v.n, 3);
  assert.equal(v.list[0], `${'q'.repeat(20)}…[280 characters cut]`);
  assert.equal(typeof JSON.parse(shortenArguments('not json '.repeat(20), 10)), 'string');
  assert.equal(summarizeResult('list_files', '{}', 'plan.md (10 bytes)'), '[earlier result of list_files({}): 18 characters, beginning "plan.md (10 bytes)"]');
});

test('clipLogTail keeps the last whole lines that fit and points to the file', () => {
  const log = Array.from({ length: 100 }, (_, i) => `line ${i}`).join('\n');
  assert.equal(clipLogTail(log, 10_000, 'logs/train.log'), log);
  const out = clipLogTail(log, 100, 'logs/train.log');
  const lines = out.split('\n');
  assert.match(lines[0], /^…\[(\d+) earlier line\(s\) cut; read_file logs\/train\.log with offset and max_chars to see them\]$/);
  assert.equal(lines[lines.length - 1], 'line 99');
  assert.equal(Number(/\[(\d+) earlier/.exec(lines[0])![1]) + lines.length - 1, 100);
  assert.ok(lines.slice(1).join('\n').length <= 100);
  assert.match(clipLogTail('w'.repeat(500), 100, 'logs/x.log'), /^…\[cut; read_file logs\/x\.log/);
});
