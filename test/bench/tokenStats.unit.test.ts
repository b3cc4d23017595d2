// The arithmetic behind the token section of the benchmark.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { meanMax, sentChars, sentTokens, shares, tokensByHeading } from '../../bench/tokenStats';

test('meanMax gives the count, mean and max, and zeros for an empty series', () => {
  assert.deepEqual(meanMax([1200, 3000, 1800]), { n: 3, mean: 2000, max: 3000 });
  assert.deepEqual(meanMax([]), { n: 0, mean: 0, max: 0 });
});

test('shares divide each part by the total, keep the order, and are 0 when nothing was spent', () => {
  const s = shares([{ name: 'proposal', tokens: 300 }, { name: 'distill', tokens: 100 }]);
  assert.deepEqual(s.map((p) => p.name), ['proposal', 'distill']);
  assert.equal(s[0].share, 0.75);
  assert.equal(s[1].share, 0.25);
  assert.deepEqual(shares([{ name: 'a', tokens: 0 }]).map((p) => p.share), [0]);
});

test('sentChars counts message texts, replayed tool calls, tool schemas and the reply schema', () => {
  const tools = [{ type: 'function', function: { name: 'read_file', parameters: { type: 'object' } } }];
  const schema = { type: 'object', required: ['a'] };
  const body = {
    messages: [{ content: 'system text' }, { content: null, tool_calls: [{ function: { name: 'read_file', arguments: '{"path":"x"}' } }] }, { content: [{ type: 'text', text: 'hi' }] }],
    tools,
    response_format: { json_schema: { schema } },
  };
  const expected = 'system text'.length + 'read_file'.length + '{"path":"x"}'.length + JSON.stringify([{ type: 'text', text: 'hi' }]).length + JSON.stringify(tools).length + JSON.stringify(schema).length;
  assert.equal(sentChars(body), expected);
  assert.equal(sentChars({ messages: [{ content: 'abcd' }] }), 4);
  assert.equal(sentTokens({ messages: [{ content: 'abcde' }] }), 2, '4 characters a token, rounded up');
});

test('tokensByHeading splits a prompt at # and ## headings, drops parentheses, sorts largest first', () => {
  const prompt = ['# Task', 'x'.repeat(30), '## Leaderboard (top 5 by accuracy)', 'y'.repeat(90), '### not a split', '# Your job', 'go'].join('\n');
  assert.deepEqual(tokensByHeading(prompt), [
    { heading: 'Leaderboard', tokens: Math.ceil(('## Leaderboard (top 5 by accuracy)\n' + 'y'.repeat(90) + '\n### not a split\n').length / 4) },
    { heading: 'Task', tokens: Math.ceil(('# Task\n' + 'x'.repeat(30) + '\n').length / 4) },
    { heading: 'Your job', tokens: Math.ceil('# Your job\ngo\n'.length / 4) },
  ]);
});
