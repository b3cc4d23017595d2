// The compare, knobs and experiment views in headless Chromium. The page is the real webview;
// its requests are answered in Node by the real host handlers on a real experiment folder
// (compareFixture). Checks the DOM against that experiment and saves screenshots
// (test-results/compare.png, knobs.png, experiment.png).
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { FINAL_PICK_PROPOSER, finalPick, seedReruns } from '../../src/engine';
import type { ExperimentSession } from '../../src/extension/experiments/experimentSession';
import { toNodeView, toTreeMeta } from '../../src/extension/experiments/nodeView';
import { buildCompareData } from '../../src/extension/panel/compareNodes';
import { compareNodes } from '../../src/extension/panel/handlers/compareNodes';
import { buildNodeDetails } from '../../src/extension/panel/nodeDetails';
import { experimentOverview } from '../../src/extension/panel/handlers/experimentOverview';
import { knobTable } from '../../src/extension/panel/handlers/knobTable';
import type { PanelRequestContext } from '../../src/extension/panel/requestHandler';
import type { RequestEnvelope, TreeSnapshot } from '../../webview/protocol';
import { compareFixture } from './compareFixture';
import { openWebviewPage, RESULTS_DIR, type WebviewPage } from './harness';

const { exp, ids } = compareFixture();
const ctx = { session: { experiment: exp, dir: exp.dir } as unknown as ExperimentSession } as PanelRequestContext;
let wv: WebviewPage;

function answer(type: string, data: unknown): unknown {
  if (type === 'compareNodes') return compareNodes(ctx, data as { ids: string[] });
  if (type === 'knobTable') return knobTable(ctx, {});
  if (type === 'experimentOverview') return experimentOverview(ctx, {});
  if (type === 'nodeDetails') return buildNodeDetails(exp, (data as { id: string }).id);
  return undefined;
}

async function screenshot(name: string): Promise<void> {
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(join(RESULTS_DIR, name), await wv.page.screenshot());
}

async function requests(type: string): Promise<RequestEnvelope[]> {
  return (await wv.sent()).filter((m) => m.kind === 'request' && m.type === type);
}

before(async () => {
  wv = await openWebviewPage({ width: 1200, height: 820 }, answer);
  const snapshot: TreeSnapshot = {
    meta: toTreeMeta({ name: exp.spec.name, dir: exp.dir, tree: exp.tree, maxRuns: exp.spec.budget?.max_runs, search: 'idle' }),
    nodes: [...exp.tree.nodes.values()].map((n) => toNodeView(n, false)),
  };
  await wv.sendToPage({ kind: 'event', type: 'treeReset', data: snapshot });
  await wv.page.waitForFunction((n) => window.__trex!.model.size === n, snapshot.nodes.length);
  await wv.page.evaluate(() => window.__trex!.flush());
});

after(async () => {
  await wv?.close();
});

test('the views fetch nothing until they are opened', async () => {
  for (const type of ['compareNodes', 'knobTable', 'experimentOverview']) assert.deepEqual(await requests(type), [], `${type} not requested yet`);
});

test('compare: Ctrl-click and the details checkbox pick nodes; curves, metrics and config diff of the real nodes', async () => {
  const area = await wv.page.locator('#tree').boundingBox();
  assert.ok(area);
  const at = (id: string) => wv.page.evaluate((nid) => window.__trex!.view.screenPosition(nid), id);
  const lr = await at(ids.lr);
  assert.ok(lr, 'the node is on screen');
  await wv.page.keyboard.down('Control');
  await wv.page.mouse.click(area.x + lr.x, area.y + lr.y);
  await wv.page.keyboard.up('Control');
  assert.deepEqual(await wv.page.evaluate(() => window.__trex!.tabs.compared), [ids.lr], 'Ctrl-click picks the node');
  assert.equal(await wv.page.evaluate(() => window.__trex!.view.selected), null, 'and does not select it');
  // Select the baseline and tick its Compare box, then the reversed node's.
  for (const id of [ids.base, ids.reversed]) {
    await wv.page.evaluate((nid) => window.__trex!.view.select(nid, true), id);
    await wv.page.locator(`#details input[data-compare="${id}"]`).check();
  }
  assert.equal(await wv.page.locator('button[data-tab="compare"]').innerText(), 'Compare (3)');
  await screenshot('compare-pick.png');
  await wv.page.locator('button[data-tab="compare"]').click();
  await wv.page.locator('#compare-view table.config-diff').waitFor();
  const sent = await requests('compareNodes');
  assert.deepEqual(sent.at(-1)?.data, { ids: [ids.lr, ids.base, ids.reversed] });

  const picked = [ids.lr, ids.base, ids.reversed];
  const expected = buildCompareData(exp, picked);
  assert.equal(await wv.page.locator('#compare-view canvas.compare-loss').getAttribute('data-curves'), '3', 'three loss curves overlaid');
  assert.deepEqual(await wv.page.locator('#compare-view .series-key').evaluateAll((es) => es.map((e) => e.getAttribute('data-id'))), picked);
  const paths = await wv.page.locator('#compare-view table.config-diff tbody tr').evaluateAll((rs) => rs.map((r) => r.getAttribute('data-path')));
  assert.deepEqual(paths, expected.configDiff.map((r) => r.path));
  assert.deepEqual(paths, ['recipe.format.template', 'train.epochs', 'train.learning_rate'], 'exactly the paths the runs changed');
  const lrRow = await wv.page.locator('#compare-view tr[data-path="train.learning_rate"] td').allInnerTexts();
  assert.deepEqual(lrRow, ['train.learning_rate', '0.01', '0.003', '0.01']);
  const metricHead = await wv.page.locator('#compare-view table.metrics-compare th').allInnerTexts();
  assert.deepEqual(metricHead, ['metric', ...picked], 'one metrics column per node');
  const scoreRow = await wv.page.locator('#compare-view table.metrics-compare tr', { hasText: 'exact_match (validation)' }).locator('td').allInnerTexts();
  assert.deepEqual(scoreRow, ['exact_match (validation)', '0.3100', '0.1200', '0.5800']);
  await screenshot('compare.png');

  // Removing one from the compare view re-fetches with the rest.
  await wv.page.locator(`#compare-view .series-key[data-id="${ids.base}"] button`).click();
  await wv.page.waitForFunction(() => document.querySelector('#compare-view canvas.compare-loss')?.getAttribute('data-curves') === '2');
  assert.deepEqual((await requests('compareNodes')).at(-1)?.data, { ids: [ids.lr, ids.reversed] });
  assert.deepEqual(await wv.page.locator('#compare-view table.config-diff tbody tr').evaluateAll((rs) => rs.map((r) => r.getAttribute('data-path'))), ['recipe.format.template', 'train.epochs']);
  // The picks survive a reload: they are in the webview's saved state.
  await wv.page.waitForFunction((want) => JSON.stringify((window as unknown as { __state?: { compared?: string[] } }).__state?.compared) === JSON.stringify(want), [ids.lr, ids.reversed]);
});

test('knobs vs score: an axis per search_space path, a line per finished node, filtered by status', async () => {
  await wv.page.locator('button[data-tab="knobs"]').click();
  await wv.page.locator('#knobs-view svg.knobs').waitFor();
  const axes = await wv.page.locator('#knobs-view line.axis').evaluateAll((ls) => ls.map((l) => l.getAttribute('data-path')));
  assert.deepEqual(axes, [...exp.spec.search_space.map((k) => k.path), ''], 'one axis per knob, then the score axis');
  const finished = [...exp.tree.nodes.values()].filter((n) => ['succeeded', 'failed', 'cancelled'].includes(n.status));
  const shown = () => wv.page.locator('#knobs-view polyline.run').evaluateAll((ls) => ls.map((l) => l.getAttribute('data-id')).sort());
  assert.deepEqual(await shown(), finished.map((n) => n.id).sort());
  assert.match(await wv.page.locator('.knob-count').innerText(), new RegExp(`^${finished.length} of ${finished.length} `));
  await wv.page.locator('#knobs-view input[data-status="failed"]').uncheck();
  const succeeded = finished.filter((n) => n.status === 'succeeded').map((n) => n.id).sort();
  assert.deepEqual(await shown(), succeeded, 'unticking failed hides the failed run');
  assert.match(await wv.page.locator('.knob-count').innerText(), new RegExp(`^${succeeded.length} of ${finished.length} `));
  await wv.page.locator('#knobs-view input[data-status="failed"]').check();
  assert.equal((await shown()).length, finished.length);
  await screenshot('knobs.png');
  // A click on a line goes back to the tree with that node selected.
  await wv.page.locator(`#knobs-view polyline.run[data-id="${ids.reversed}"]`).dispatchEvent('click');
  assert.equal(await wv.page.evaluate(() => window.__trex!.view.selected), ids.reversed);
  assert.equal(await wv.page.locator('#view-pane').isHidden(), true);
});

test('experiment: budget and cost, insights.md and research.md', async () => {
  await wv.page.locator('button[data-tab="experiment"]').click();
  await wv.page.locator('#experiment-view table.budget').waitFor();
  assert.deepEqual(await wv.page.locator('tr[data-budget="runs"] td').allInnerTexts(), ['runs', `${exp.tree.runsSpent()} of 16`, `${16 - exp.tree.runsSpent()} left`]);
  assert.deepEqual(await wv.page.locator('tr[data-budget="LLM cost"] td').allInnerTexts(), ['LLM cost', '$0.04', 'no limit'], 'max_llm_cost_usd: 0 sets no limit');
  assert.equal(await wv.page.locator('tr[data-budget="LLM tokens"] td').nth(1).innerText(), '12,345');
  assert.match(await wv.page.locator('pre.notes[data-file="insights.md"]').innerText(), /learning_rate 0\.003 → 0\.01/);
  assert.match(await wv.page.locator('pre.notes[data-file="research.md"]').innerText(), /Reversed digit order/);
  await screenshot('experiment.png');
});

test('experiment: the final pick lists each finalist with mean ± sd over seeds, the recommendation first', async () => {
  // The engine's own seed re-runs of the two best nodes, with results recorded as tree events.
  const extra: Record<string, number[]> = { [ids.reversed]: [0.5, 0.52], [ids.lr]: [0.56, 0.57] };
  for (const r of seedReruns(exp, [ids.reversed, ids.lr], 3)) {
    const id = exp.createNode({ ...r, origin: 'proposer', proposer: FINAL_PICK_PROPOSER, by: 'offline' });
    exp.emit({ type: 'node_result', id, result: { score: extra[r.parent].shift()!, testScore: 0.5, metrics: {}, wallMs: 1, computeMs: 1, savedMs: 0 } });
  }
  const f = finalPick(exp.tree)!;
  await wv.page.locator('button[data-tab="knobs"]').click();
  await wv.page.locator('button[data-tab="experiment"]').click();
  await wv.page.locator('#experiment-view table.final-pick').waitFor();
  const rows = wv.page.locator('#experiment-view table.final-pick tr');
  assert.equal(await rows.count(), 2);
  assert.deepEqual(await rows.nth(0).locator('td').allInnerTexts(), [`${f.pick.anchor} ◆ recommended`, `${f.pick.mean.toFixed(4)} ± ${f.pick.sd.toFixed(4)} (3 seeds)`, `test ${f.pick.testMean!.toFixed(4)}`]);
  assert.equal(await rows.nth(1).getAttribute('data-final'), f.finalists[1].anchor);
  await screenshot('experiment-final-pick.png');
});

test('no CSP violations, page errors or requests leaving the page origin', () => {
  assert.deepEqual(wv.problems, []);
});
