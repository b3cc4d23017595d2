// The user's path through the real workbench UI, driven by Playwright: start the search from the
// command palette, see nodes appear in the panel and the TREX tree view, select a node and fork it
// from the panel, edit the fork's recipe in the editor, run it from the panel, and watch its log
// tab grow. Screenshots of each step go to test-results/.
import { readFileSync } from 'node:fs';
import type { Frame, Page } from 'playwright-core';
import { runFromPalette, screenshot, waitForWorkbench, webviewFrame, webviewLocator } from './workbench';
// The page's debug hook (window.__trex) is declared by the webview's entry file.
import type {} from '../../webview/main';

export interface UiStep {
  name: string;
  ok: boolean;
  ms: number;
  detail?: string;
}

export interface UiFlowResult {
  steps: UiStep[];
  screenshots: string[];
  forkId?: string;
  logGrowth?: string;
}

async function modelStatus(frame: Frame, id: string): Promise<string | undefined> {
  return frame.evaluate((nid) => window.__trex?.model.get(nid)?.status, id);
}

export async function runUiFlow(page: Page, opts: { shotsDir: string; experimentDir: string }): Promise<UiFlowResult> {
  const result: UiFlowResult = { steps: [], screenshots: [] };
  const shots = result.screenshots;
  const step = async (name: string, fn: () => Promise<string | void>) => {
    const t0 = Date.now();
    try {
      const detail = (await fn()) ?? undefined;
      result.steps.push({ name, ok: true, ms: Date.now() - t0, detail });
      console.log(`[ui] ok - ${name} (${Date.now() - t0} ms)${detail ? `: ${detail}` : ''}`);
    } catch (e) {
      result.steps.push({ name, ok: false, ms: Date.now() - t0, detail: (e as Error).message });
      console.log(`[ui] not ok - ${name}: ${(e as Error).message}`);
      await screenshot(page, opts.shotsDir, `vscode-ui-error-${result.steps.length}.png`, shots).catch(() => undefined);
      throw e;
    }
  };
  const wv = webviewLocator(page);
  let frame: Frame | undefined;
  try {
    await step('workbench loads', () => waitForWorkbench(page));
    await step('TREX: Start Search from the command palette opens the panel', async () => {
      // TREX's status bar item appears once the extension host has activated it (the workspace
      // contains a trex.yaml); its commands are in the palette from then on.
      await page.locator('.statusbar-item', { hasText: 'TREX' }).first().waitFor({ timeout: 90_000 });
      for (let attempt = 1; ; attempt++) {
        try {
          await runFromPalette(page, 'TREX: Start Search');
          frame = await webviewFrame(page, 30_000);
          return `attempt ${attempt}`;
        } catch (e) {
          if (attempt >= 3) throw e;
          await page.keyboard.press('Escape');
          await page.waitForTimeout(2000);
        }
      }
    });
    const f = () => frame!;
    await step('nodes appear in the panel', async () => {
      await wv.locator('#summary', { hasText: / [1-9]\d* nodes/ }).waitFor({ timeout: 120_000 });
      await f().waitForFunction(() => (window.__trex?.model.nodes ?? []).some((n) => n.status === 'succeeded'), undefined, { timeout: 300_000, polling: 500 });
      await f().waitForFunction(() => (window.__trex?.model.size ?? 0) >= 3, undefined, { timeout: 120_000, polling: 500 });
      await page.waitForTimeout(500);
      await screenshot(page, opts.shotsDir, 'vscode-panel-nodes.png', shots);
      return await wv.locator('#summary').innerText();
    });
    await step('nodes appear in the TREX tree view', async () => {
      await page.locator('.activitybar .action-item a[aria-label^="TREX"], .activitybar .action-item[aria-label^="TREX"]').first().click();
      const row = page.locator('.pane-body .monaco-list-row', { hasText: 'n0000' });
      await row.first().waitFor({ timeout: 30_000 });
      await page.locator('.pane-body .monaco-list-row', { hasText: /n000[1-9]/ }).first().waitFor({ timeout: 60_000 });
      await screenshot(page, opts.shotsDir, 'vscode-tree-view.png', shots);
      return `${await page.locator('.pane-body .monaco-list-row').count()} rows`;
    });
    let parentId = '';
    await step('selecting a node in the panel shows its details', async () => {
      parentId = await f().evaluate(() => {
        const m = window.__trex!.model;
        return m.meta?.bestId ?? m.nodes.find((n) => n.status === 'succeeded')!.id;
      });
      await f().evaluate((id) => window.__trex!.view.reveal(id), parentId);
      await f().evaluate(() => window.__trex!.flush());
      const pos = await f().evaluate((id) => window.__trex!.view.screenPosition(id), parentId);
      if (!pos) throw new Error(`no position for ${parentId}`);
      await wv.locator('#tree').click({ position: { x: Math.round(pos.x), y: Math.round(pos.y) } });
      await wv.locator('#details-title', { hasText: parentId }).waitFor({ timeout: 10_000 });
      await wv.locator('#details pre.plan').waitFor({ timeout: 10_000 });
      return parentId;
    });
    await step('Fork in the panel creates a draft child and opens its recipe.yaml', async () => {
      await wv.locator('#details button[data-action="fork"]').click();
      await wv.locator('#details-title', { hasText: `fork of ${parentId}` }).waitFor({ timeout: 20_000 });
      result.forkId = (await wv.locator('#details-title .node-id').innerText()).trim();
      await page.locator('.tabs-container .tab', { hasText: 'recipe.yaml' }).first().waitFor({ timeout: 20_000 });
      return result.forkId;
    });
    const forkId = () => result.forkId!;
    const recipePath = () => `${opts.experimentDir}/nodes/${forkId()}/recipe.yaml`;
    await step("editing the fork's recipe in the editor and saving", async () => {
      const editor = page.locator('.editor-group-container', { has: page.locator('.tab.active', { hasText: 'recipe.yaml' }) }).locator('.monaco-editor .view-lines').first();
      await editor.click();
      await page.keyboard.press('Control+End');
      await page.keyboard.type('seed: 7');
      await page.keyboard.press('Escape');
      await page.keyboard.press('Control+S');
      const deadline = Date.now() + 15_000;
      while (!/^seed: 7$/m.test(readFileSync(recipePath(), 'utf8'))) {
        if (Date.now() > deadline) throw new Error(`recipe.yaml was not saved with the edit:\n${readFileSync(recipePath(), 'utf8')}`);
        await page.waitForTimeout(200);
      }
      // The panel's details follow the file: the diff from the parent now shows the edit.
      await wv.locator('#details pre.diff', { hasText: '+seed: 7' }).waitFor({ timeout: 15_000 });
      await screenshot(page, opts.shotsDir, 'vscode-fork-edited.png', shots);
    });
    await step('Run in the panel starts the fork', async () => {
      await wv.locator('#details-title', { hasText: forkId() }).waitFor({ timeout: 10_000 });
      await wv.locator('#details button[data-action="run"]').click();
      await f().waitForFunction((id) => ['running', 'succeeded'].includes(window.__trex?.model.get(id)?.status ?? ''), forkId(), { timeout: 60_000, polling: 250 });
    });
    await step("the fork's log tab grows while its stage runs", async () => {
      // The line numbers shown in the log editor go up as the log tab follows the tail.
      const samples: string[] = [];
      const deadline = Date.now() + 240_000;
      const seen = new Map<string, number[]>();
      for (;;) {
        const probe = await page.evaluate((id) => {
          for (const group of Array.from(document.querySelectorAll('.editor-group-container'))) {
            const title = group.querySelector('.tab.active')?.textContent ?? '';
            if (!title.includes(id) || !title.includes('.log')) continue;
            const numbers = Array.from(group.querySelectorAll('.line-numbers')).map((e) => Number(e.textContent));
            return { title: title.trim(), maxLine: Math.max(0, ...numbers.filter(Number.isFinite)) };
          }
          return null;
        }, forkId());
        if (probe) {
          const counts = seen.get(probe.title) ?? [];
          if (counts.at(-1) !== probe.maxLine) {
            counts.push(probe.maxLine);
            samples.push(`${probe.title}:${probe.maxLine}`);
            if (counts.length === 2) await screenshot(page, opts.shotsDir, 'vscode-log-pane.png', shots);
          }
          seen.set(probe.title, counts);
          if (counts.length >= 3 && counts.at(-1)! > counts[0]) {
            await screenshot(page, opts.shotsDir, 'vscode-log-pane-grown.png', shots);
            result.logGrowth = `${probe.title}: ${counts.join(' → ')} lines`;
            return result.logGrowth;
          }
        }
        if (Date.now() > deadline) throw new Error(`no growing log tab for ${forkId()}; samples: ${samples.join(', ') || 'none'}`);
        await page.waitForTimeout(300);
      }
    });
    await step('the fork finishes and the panel shows its result', async () => {
      const end = Date.now() + 240_000;
      for (;;) {
        const status = await modelStatus(f(), forkId());
        if (status === 'succeeded') break;
        if (status === 'failed') throw new Error(`${forkId()} failed`);
        if (Date.now() > end) throw new Error(`${forkId()} still ${status}`);
        await page.waitForTimeout(500);
      }
      await f().evaluate((id) => {
        window.__trex!.view.fitAll();
        window.__trex!.view.select(id);
        window.__trex!.flush();
      }, forkId());
      await page.waitForTimeout(800);
      await screenshot(page, opts.shotsDir, 'vscode-panel-final.png', shots);
    });
    await step('the panel comes back after a window reload, with its experiment and selection', async () => {
      const before = await f().evaluate(() => window.__trex!.model.size);
      await page.reload();
      await waitForWorkbench(page);
      frame = await webviewFrame(page, 90_000);
      await f().waitForFunction((n) => (window.__trex?.model.size ?? 0) >= n, before, { timeout: 60_000, polling: 250 });
      await f().waitForFunction((id) => window.__trex?.view.selected === id, forkId(), { timeout: 20_000, polling: 250 });
      await page.waitForTimeout(500);
      await screenshot(page, opts.shotsDir, 'vscode-panel-restored.png', shots);
      return `${before} nodes, ${forkId()} selected`;
    });
  } catch {
    // The failed step is recorded; the caller reports it.
  }
  return result;
}
