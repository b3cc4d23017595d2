// The host side of the panel's compare, knobs and experiment views, on a real experiment folder:
// the config diff holds exactly the paths the engine's own diff finds, the knob table has one
// axis per search_space path and one row per finished node with the values in its files, the
// overview reads the notes and spending, and the compare request refuses bad input. Also the
// status bar's words.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { diffConfigs } from '../../src/engine';
import { buildCompareData } from '../../src/extension/panel/compareNodes';
import { buildExperimentOverview } from '../../src/extension/panel/experimentOverview';
import { compareNodes } from '../../src/extension/panel/handlers/compareNodes';
import { buildKnobTable } from '../../src/extension/panel/knobTable';
import type { PanelRequestContext } from '../../src/extension/panel/requestHandler';
import type { ExperimentSession } from '../../src/extension/experiments/experimentSession';
import { statusText } from '../../src/extension/views/statusText';
import { compareFixture } from '../webview/compareFixture';

const { exp, ids } = compareFixture();

test('compare: loss curves, metrics and only the differing config paths of the picked nodes', () => {
  const picked = [ids.base, ids.lr, ids.reversed];
  const d = buildCompareData(exp, picked);
  assert.deepEqual(d.nodes.map((n) => n.id), picked);
  for (const n of d.nodes) assert.equal(n.loss.length, 30, `${n.id} has its trainer log's 30 points`);
  assert.equal(d.nodes[2].score, 0.58);
  assert.ok(d.nodes[2].metrics.some((m) => m.name === 'exact_match (validation)' && m.value === '0.5800'));
  // The engine's pairwise diff of the same files, unioned: what really differs.
  const configs = picked.map((id) => exp.readNodeConfig(id));
  const expected = new Set<string>();
  for (let i = 1; i < configs.length; i++) for (const c of diffConfigs(configs[0], configs[i])) expected.add(c.path);
  for (const c of diffConfigs(configs[1], configs[2])) expected.add(c.path);
  assert.deepEqual(d.configDiff.map((r) => r.path), [...expected].sort());
  assert.deepEqual(d.configDiff.map((r) => r.path), ['recipe.format.template', 'train.epochs', 'train.learning_rate']);
  assert.deepEqual(d.configDiff.find((r) => r.path === 'train.learning_rate')?.values, ['0.003', '0.01', '0.01']);
  assert.deepEqual(buildCompareData(exp, [ids.base, ids.base]).configDiff, [], 'a node against itself differs nowhere');
});

test('knob table: one axis per search_space path, one row per finished node with the values in its files', () => {
  const t = buildKnobTable(exp);
  assert.deepEqual(t.axes.map((a) => a.path), exp.spec.search_space.map((k) => k.path));
  assert.deepEqual(t.axes.map((a) => a.kind), ['number', 'number', 'category', 'number', 'category']);
  assert.deepEqual(t.axes[2].categories, ['plain', 'reversed']);
  assert.deepEqual(t.rows.map((r) => r.id).sort(), [ids.base, ids.lr, ids.reversed, ids.lora].sort(), 'the queued node is not finished');
  const rev = t.rows.find((r) => r.id === ids.reversed)!;
  assert.deepEqual(rev.values, [0.01, 10, 'reversed', 1000, 'full']);
  assert.equal(rev.score, 0.58);
  const lora = t.rows.find((r) => r.id === ids.lora)!;
  assert.equal(lora.status, 'failed');
  assert.equal(lora.score, null);
  assert.deepEqual(lora.values, [0.003, 3, 'plain', 3000, 'lora']);
  // An edit of the files shows at the next fetch (values are kept only while the files are unchanged).
  const trainPath = exp.nodePath(ids.lr, 'train.yaml');
  const before = readFileSync(trainPath, 'utf8');
  writeFileSync(trainPath, before.replace('learning_rate: 0.01', 'learning_rate: 0.0123'));
  try {
    assert.equal(buildKnobTable(exp).rows.find((r) => r.id === ids.lr)?.values[0], 0.0123);
  } finally {
    writeFileSync(trainPath, before);
  }
  assert.equal(buildKnobTable(exp).rows.find((r) => r.id === ids.lr)?.values[0], 0.01);
});

test('experiment overview: insights.md, research.md and the budget spent', () => {
  const o = buildExperimentOverview(exp);
  assert.match(o.insights, /learning_rate 0\.003 → 0\.01/);
  assert.match(o.research, /Reversed digit order/);
  assert.equal(o.budget.runs, exp.tree.runsSpent());
  assert.equal(o.budget.maxRuns, 16);
  assert.equal(o.budget.tokens, 12_345);
  assert.equal(o.budget.costUsd, 0.0421);
  assert.equal(o.budget.maxCostUsd, null, 'max_llm_cost_usd: 0 sets no limit, as the search reads it');
  assert.equal(o.budget.maxComputeHours, 1);
  assert.ok(Math.abs(o.budget.computeHours - exp.tree.computeMsSpent() / 3_600_000) < 1e-12);
});

test('the compareNodes request checks what the webview sent', async () => {
  const ctx = { session: { experiment: exp, dir: exp.dir } as unknown as ExperimentSession } as PanelRequestContext;
  const ok = await compareNodes(ctx, { ids: [ids.base, ids.lr] });
  assert.equal(ok.nodes.length, 2);
  assert.throws(() => compareNodes(ctx, { ids: [ids.base] }), /2 to 8 nodes/);
  assert.throws(() => compareNodes(ctx, { ids: [ids.base, ids.base] }), /same node twice/);
  assert.throws(() => compareNodes(ctx, { ids: [ids.base, '../etc'] }), /invalid node id/);
  assert.throws(() => compareNodes(ctx, { ids: 'n0000' as unknown as string[] }), /2 to 8 nodes/);
  assert.throws(() => compareNodes({ session: undefined } as PanelRequestContext, { ids: [ids.base, ids.lr] }), /no experiment/);
});

test('status bar text: runs left and LLM cost', () => {
  assert.equal(statusText({ running: 0, best: 0.58, runs: 4, maxRuns: 16, costUsd: 0.0421, maxCostUsd: 2 }), '$(beaker) TREX best 0.5800 · 4/16 runs (12 left) · LLM $0.04/$2.00');
  assert.equal(statusText({ running: 2, best: undefined, runs: 3, maxRuns: null, costUsd: 0, maxCostUsd: 0 }), '$(sync~spin) TREX 2 running · best — · 3 runs · LLM $0.00');
});
