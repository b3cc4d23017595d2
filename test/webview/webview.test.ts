// The tree webview in headless Chromium with a stub host: 10,000 nodes render, a click and the
// keyboard select nodes, the details pane's Prune and Fork buttons post the right requests, a
// patch updates one node, and screenshots (test-results/) really show coloured nodes.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { countColour, decodePng, distinctColours, type Image } from './png';
import { openWebviewPage, RESULTS_DIR, type WebviewPage } from './harness';
import { syntheticTree } from './syntheticTree';
import { benchWebview } from './benchWebview';
import type { RequestEnvelope, TreeSnapshot } from '../../webview/protocol';

const GREEN: [number, number, number] = [0x89, 0xd1, 0x85]; // best score bucket (--vscode-charts-green)
const RED: [number, number, number] = [0xf1, 0x4c, 0x4c]; // worst score bucket (--vscode-charts-red)
const BLUE: [number, number, number] = [0x37, 0x94, 0xff]; // running (--vscode-charts-blue)
const BEST_PATH: [number, number, number] = [0xd4, 0xd4, 0xd4]; // best path (--vscode-editor-foreground)
const FOCUS: [number, number, number] = [0x00, 0x7f, 0xd4]; // selection ring (--vscode-focusBorder)

let wv: WebviewPage;
let snapshot: TreeSnapshot;

async function screenshot(name: string): Promise<Image> {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const buf = await wv.page.screenshot();
  writeFileSync(join(RESULTS_DIR, name), buf);
  return decodePng(buf);
}

async function requests(type: string): Promise<RequestEnvelope[]> {
  return (await wv.sent()).filter((m) => m.kind === 'request' && m.type === type);
}

async function selected(): Promise<string | null> {
  return wv.page.evaluate(() => window.__trex!.view.selected);
}

/** The tree canvas's bounding box (the page also has a toolbar and the details pane). */
async function canvasRect(): Promise<{ x: number; y: number; w: number; h: number }> {
  const box = await wv.page.locator('#tree').boundingBox();
  assert.ok(box, 'canvas has a box');
  return { x: Math.round(box.x), y: Math.round(box.y), w: Math.round(box.width), h: Math.round(box.height) };
}

before(async () => {
  wv = await openWebviewPage();
  snapshot = syntheticTree(10_000);
});

after(async () => {
  await wv?.close();
});

test('the page says ready first, and renders 10,000 nodes sent after it', async () => {
  const first = (await wv.sent())[0];
  assert.equal(first?.kind, 'request');
  assert.equal(first?.type, 'ready', 'the ready handshake comes before anything else');
  await wv.sendToPage({ kind: 'event', type: 'treeReset', data: snapshot });
  await wv.page.waitForFunction(() => window.__trex!.model.size === 10_000);
  await wv.page.evaluate(() => window.__trex!.flush());
  assert.match(await wv.page.locator('#summary').innerText(), /10000 nodes/);
  const img = await screenshot('webview-10k-overview.png');
  const area = await canvasRect();
  assert.ok(distinctColours(img) > 20, `overview is not blank (${distinctColours(img)} colours)`);
  assert.ok(countColour(img, GREEN, 30, area) > 50, 'high-score (green) nodes are drawn');
  assert.ok(countColour(img, RED, 30, area) > 20, 'low-score (red) nodes are drawn');
  assert.ok(countColour(img, BEST_PATH, 12, area) > 20, 'the best path is highlighted');
});

test('B jumps to the best node; clicking a node selects it and loads its details', async () => {
  await wv.page.locator('#tree').focus();
  await wv.page.keyboard.press('b');
  assert.equal(await selected(), snapshot.meta.bestId);
  const parent = snapshot.meta.bestPath[snapshot.meta.bestPath.length - 2];
  const pos = await wv.page.evaluate((id) => window.__trex!.view.screenPosition(id), parent);
  assert.ok(pos, 'the parent of the best node has a position');
  const area = await canvasRect();
  await wv.page.mouse.click(area.x + pos.x, area.y + pos.y);
  assert.equal(await selected(), parent, 'the click selected the node under the pointer');
  await wv.page.locator('#details-title').filter({ hasText: parent }).waitFor();
  await wv.page.locator('#details pre.plan').filter({ hasText: `Plan of ${parent}` }).waitFor();
  assert.ok((await requests('selectNode')).some((m) => (m.data as { id: string }).id === parent), 'the host hears about the selection');
  assert.ok((await requests('nodeDetails')).some((m) => (m.data as { id: string }).id === parent), 'details were requested');
});

test('arrow keys walk the tree', async () => {
  const start = (await selected())!;
  await wv.page.locator('#tree').focus();
  await wv.page.keyboard.press('ArrowDown');
  const child = await selected();
  const expectedChild = snapshot.nodes.find((n) => n.parent === start)?.id;
  assert.equal(child, expectedChild, 'down goes to the first child');
  await wv.page.keyboard.press('ArrowUp');
  assert.equal(await selected(), start, 'up goes back to the parent');
});

test('dragging pans and the wheel zooms at the cursor', async () => {
  const camera = () => wv.page.evaluate(() => window.__trex!.view.camera.state());
  const area = await canvasRect();
  const before = await camera();
  await wv.page.mouse.move(area.x + 300, area.y + 300);
  await wv.page.mouse.down();
  await wv.page.mouse.move(area.x + 380, area.y + 340, { steps: 4 });
  await wv.page.mouse.up();
  const panned = await camera();
  assert.ok(Math.abs(panned.x - before.x - 80) < 1 && Math.abs(panned.y - before.y - 40) < 1, `panned by (80, 40): ${JSON.stringify([before, panned])}`);
  await wv.page.mouse.wheel(0, -300);
  await wv.page.waitForFunction((k) => window.__trex!.view.camera.k > k, panned.k);
  const zoomed = await camera();
  // The world point under the cursor stays put.
  const worldBefore = [(380 - panned.x) / panned.k, (340 - panned.y) / panned.k];
  const worldAfter = [(380 - zoomed.x) / zoomed.k, (340 - zoomed.y) / zoomed.k];
  assert.ok(Math.abs(worldBefore[0] - worldAfter[0]) < 1 && Math.abs(worldBefore[1] - worldAfter[1]) < 1, 'zoom keeps the point under the cursor');
});

test('Prune and Fork in the details pane send pruneNode and forkNode', async () => {
  const id = (await selected())!;
  await wv.page.locator('#details button[data-action="prune"]').click();
  await wv.page.locator('#details button[data-action="fork"]').click();
  await wv.page.waitForFunction(() => (window as unknown as { __sent: { type: string }[] }).__sent.some((m) => m.type === 'forkNode'));
  const prune = await requests('pruneNode');
  assert.deepEqual(prune.at(-1)?.data, { id, pruned: true });
  const fork = await requests('forkNode');
  assert.deepEqual(fork.at(-1)?.data, { id });
  // The host answers with the new node; it arrives as a patch and the view selects it.
  const forkNode = { ...snapshot.nodes.find((n) => n.id === id)!, id: `${id}-fork`, parent: id, status: 'draft' as const, score: null, origin: 'fork' as const, title: `fork of ${id}` };
  await wv.sendToPage({ kind: 'event', type: 'nodeUpserted', data: { node: forkNode } });
  await wv.page.waitForFunction((fid) => window.__trex!.view.selected === fid, forkNode.id);
  assert.equal(await wv.page.evaluate(() => window.__trex!.model.size), 10_001);
  // And the pruned flag comes back as a patch too: the subtree is drawn faded.
  const pruned = { ...snapshot.nodes.find((n) => n.id === id)!, pruned: true };
  await wv.sendToPage({ kind: 'event', type: 'nodeUpserted', data: { node: pruned } });
  await wv.page.waitForFunction((pid) => window.__trex!.model.excluded[window.__trex!.model.index.get(pid)!] === 1, id);
});

test('Export… on a finished node sends exportNode; nodes without a result have no Export button', async () => {
  const done = snapshot.nodes.find((n) => n.status === 'succeeded')!;
  await wv.page.evaluate((id) => window.__trex!.view.select(id, false), done.id);
  await wv.page.locator('#details button[data-action="export"]').click();
  await wv.page.waitForFunction(() => (window as unknown as { __sent: { type: string }[] }).__sent.some((m) => m.type === 'exportNode'));
  assert.deepEqual((await requests('exportNode')).at(-1)?.data, { id: done.id });
  const pending = snapshot.nodes.find((n) => n.status !== 'succeeded')!;
  await wv.page.evaluate((id) => window.__trex!.view.select(id, false), pending.id);
  await wv.page.waitForFunction((id) => document.querySelector('#details')?.textContent?.includes(id), pending.id);
  assert.equal(await wv.page.locator('#details button[data-action="export"]').count(), 0);
});

test('a running node patch redraws it in the running colour; the zoomed view shows labels and the selection', async () => {
  const id = (await selected())!;
  const running = { ...snapshot.nodes.find((n) => n.parent === snapshot.meta.bestPath[1])!, status: 'running' as const, stage: 'train' as const, score: null, updatedAt: Date.now() };
  await wv.sendToPage({ kind: 'event', type: 'nodeUpserted', data: { node: running } });
  await wv.sendToPage({ kind: 'event', type: 'stageProgress', data: { nodeId: id, stage: 'train', step: 12, total: 40, loss: 1.2345 } });
  await wv.page.evaluate((rid) => {
    window.__trex!.view.reveal(rid);
    window.__trex!.view.select(window.__trex!.view.selected, false);
    window.__trex!.flush();
  }, running.id);
  const img = await screenshot('webview-selected-zoomed.png');
  const area = await canvasRect();
  assert.ok(countColour(img, BLUE, 12, area) > 200, 'the running node is drawn in the running colour');
  assert.ok(distinctColours(img) > 40, 'labels, edges and boxes are drawn');
  await wv.page.evaluate((sid) => window.__trex!.view.reveal(sid), id);
  await wv.page.evaluate(() => window.__trex!.flush());
  const img2 = await screenshot('webview-selection-details.png');
  assert.ok(countColour(img2, FOCUS, 10, await canvasRect()) > 30, 'the selection ring is drawn');
  assert.match((await wv.page.locator('#details').textContent()) ?? '', /Diff from/);
});

test('no CSP violations, page errors or requests leaving the page origin', () => {
  assert.deepEqual(wv.problems, []);
});

test('benchmark: 10,000 nodes first render and one-node update', async () => {
  const r = await benchWebview();
  console.log(`webview bench: first render ${r.firstRenderMs} ms (target ≤150), one-node update ${r.oneNodeUpdateMs} ms (target ≤16)`);
  // Generous bounds against a loaded CI machine; the targets are what the benchmark reports.
  assert.ok(r.firstRenderMs < 600, `first render ${r.firstRenderMs} ms`);
  assert.ok(r.oneNodeUpdateMs < 50, `one-node update ${r.oneNodeUpdateMs} ms`);
});
