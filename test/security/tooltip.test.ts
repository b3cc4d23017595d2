// Finding 13 (tooltip half) of issue 16: tree-view tooltips escape node id, status, title and
// everything else read from the experiment folder, so none of it can become a link, image or HTML.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TreeNode } from '../../src/engine';
import { escapeMarkdown, experimentTooltipMarkdown, nodeTooltipMarkdown } from '../../src/extension/views/tooltipMarkdown';

const HOSTILE = '[click](command:workbench.action.terminal.new) <img src=x onerror=alert(1)> **bold** `code`\n# heading';

function rawMarkup(md: string): boolean {
  // Unescaped link, image, HTML or code markup coming from a value.
  return /(^|[^\\])\]\(/.test(md) || /(^|[^\\])<img/.test(md) || /(^|[^\\])`code/.test(md) || /\n# heading/.test(md);
}

test('hostile node fields are escaped in the node tooltip', () => {
  const n = {
    id: HOSTILE, parent: null, children: [], origin: 'root', title: HOSTILE, changes: [{ path: HOSTILE, from: 1, to: HOSTILE }],
    configHash: '', recipeHash: '', status: HOSTILE, stage: HOSTILE, pruned: false, edited: false, createdAt: 0, updatedAt: 0, depth: 0,
    stagesDone: [], stageMs: {}, failure: { stage: HOSTILE, reason: HOSTILE, logTail: '', computeMs: 0 },
    result: { score: 0.5, metrics: {}, wallMs: 0, computeMs: 0, savedMs: 0, reusedFrom: HOSTILE },
  } as unknown as TreeNode;
  const md = nodeTooltipMarkdown(n, HOSTILE);
  assert.equal(rawMarkup(md), false, md);
  assert.ok(md.includes('\\[click\\]\\(command'));
  assert.ok(md.includes('0.5000 (validation)'));
});

test('hostile experiment fields are escaped in the experiment tooltip', () => {
  const md = experimentTooltipMarkdown({ name: HOSTILE, dir: '/tmp/x', metric: HOSTILE, goal: HOSTILE, runs: 3, maxRuns: 8 });
  assert.equal(rawMarkup(md), false, md);
  assert.match(md, /3\/8 runs$/);
});

test('escapeMarkdown leaves plain ids readable', () => {
  assert.equal(escapeMarkdown('n0001'), 'n0001');
  assert.equal(escapeMarkdown('succeeded'), 'succeeded');
});
