// The proposal prompt's budget: caps per part, a common ceiling for the cuttable parts when the
// whole is over budget, whole lines cut, headings always kept; failures grouped by reason.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { groupFailures } from '../../../../src/engine/proposers/llm/prompt';
import { fitParts, MIN_BODY_CHARS, trimLines, waterLevel, type PromptPart } from '../../../../src/engine/proposers/llm/promptBudget';

const lines = (n: number, width: number, tag = 'x') => Array.from({ length: n }, (_, i) => `${tag}${i}`.padEnd(width, '.')).join('\n');

test('waterLevel: the largest common ceiling that fits, never below the floor', () => {
  assert.equal(waterLevel([100, 200, 1000], 700, 10), 400); // 100 + 200 + 400
  assert.equal(waterLevel([300, 300], 400, 10), 200);
  assert.equal(waterLevel([300, 300], 100, 120), 120);
});

test('trimLines keeps whole lines from both ends, or only the head of a ranked list', () => {
  const body = lines(20, 49); // 20 lines of 50 characters with the newline
  assert.equal(trimLines(body, 5000), body);
  const cut = trimLines(body, 400);
  assert.ok(cut.length <= 400, `${cut.length}`);
  const kept = cut.split('\n');
  assert.ok(kept[0].startsWith('x0.'));
  assert.ok(kept[kept.length - 1].startsWith('x19.'));
  const marker = kept.find((l) => l.startsWith('…['));
  assert.ok(marker);
  const n = Number(/\[(\d+) line/.exec(marker)![1]);
  assert.equal(kept.length - 1 + n, 20, 'the marker counts the lines it replaced');
  const ranked = trimLines(body, 400, true).split('\n');
  assert.ok(ranked[0].startsWith('x0.'));
  assert.match(ranked[ranked.length - 1], /^…\[\d+ line\(s\) cut\]…$/);
  // One line over the limit alone: a character cut.
  assert.ok(trimLines('y'.repeat(1000), 300).length <= 300);
});

test('fitParts: caps first, then the big cuttable bodies share the room; fixed parts and headings stay whole', () => {
  const parts: PromptPart[] = [
    { head: '# Fixed', body: lines(10, 59, 'f'), fixed: true },
    { head: '## Small', body: 'short and whole' },
    { head: '## Big A', body: lines(60, 59, 'a') },
    { head: '## Big B', body: lines(60, 59, 'b'), capChars: 1200 },
    { head: '## Empty', body: '  ' },
  ];
  const loose = fitParts(parts, 100_000);
  assert.equal(loose[4], '', 'an empty part is left out');
  assert.ok(loose[3].length <= '## Big B\n\n\n'.length + 1200, 'the cap applies even within budget');
  assert.ok(loose[2].includes('a59.'), 'under budget, an uncapped body stays whole');

  const tight = fitParts(parts, 2500);
  const total = tight.reduce((n, t) => n + t.length, 0);
  assert.ok(total <= 2500, `${total}`);
  assert.equal(tight[0], `# Fixed\n\n${lines(10, 59, 'f')}\n`);
  assert.equal(tight[1], '## Small\n\nshort and whole\n');
  for (const [i, h] of [[2, '## Big A'], [3, '## Big B']] as const) {
    assert.ok(tight[i].startsWith(`${h}\n\n`), h);
    assert.match(tight[i], /line\(s\) cut/);
  }
  // Impossible budgets still keep every heading and a floor of each body.
  const starved = fitParts(parts, 10);
  for (const h of ['# Fixed', '## Small', '## Big A', '## Big B']) assert.ok(starved.some((t) => t.startsWith(h)), h);
  for (const i of [2, 3]) {
    assert.ok(starved[i].length <= '## Big A\n\n\n'.length + MIN_BODY_CHARS, `${starved[i].length}`);
    assert.match(starved[i], /line\(s\) cut/);
  }
  assert.equal(starved[1], '## Small\n\nshort and whole\n', 'a body under the floor is never cut');
});

test('groupFailures: one line per stage and reason, single failures with their change', () => {
  const oom = 'CUDA out of memory. Tried to allocate 2.00 GiB\nTraceback …';
  const out = groupFailures([
    { id: 'n0003', change: 'train.batch_size: 32 → 64', stage: 'train', reason: oom },
    { id: 'n0005', change: 'train.epochs: 3 → 5', stage: 'train', reason: oom },
    { id: 'n0007', change: 'recipe.sources.0.dataset: (unset) → "imdb"', stage: 'prepare', reason: 'dataset not found' },
    { id: 'n0009', change: 'train.lora.rank: 8 → 64', stage: 'train', reason: oom },
  ]);
  assert.deepEqual(out, [
    '- 3 nodes failed in train: CUDA out of memory. Tried to allocate 2.00 GiB — n0003, n0005, n0009',
    '- n0007 (recipe.sources.0.dataset: (unset) → "imdb") failed in prepare: dataset not found',
  ]);
});
