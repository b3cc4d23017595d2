// The consent prompt for an experiment folder's own LLM endpoint / Executor permissions, inside the
// real extension host. VS Code refuses to show a modal while extension tests run ("DialogService:
// refused to show dialog in tests"), so: one case shows that askFolderConsent's default prompt is a
// modal that reaches the workbench's dialog service with the folder's settings; the others answer
// through the prompt parameter and check what follows in the real consent store and LLM config:
// "Ignore" keeps the folder's settings ignored and is not asked again in this window; "Allow" is
// stored outside the folder and not asked again; a changed setting asks again.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TaskSpec } from '../../../src/engine';
import type { ExtTestContext } from './context';
import type { TestCase } from './harness';

const FOLDER_URL = 'http://127.0.0.1:9/v1';
const FOLDER_LLM = { base_url: FOLDER_URL, executor: { allowed_commands: ['python3'] } };

interface Asked {
  message: string;
  detail: string;
  buttons: string[];
}

/** askFolderConsent as the search calls it, answered with `answer`; returns what was asked (if anything). */
async function ask(spec: TaskSpec, dir: string, answer: string | undefined): Promise<Asked[]> {
  const { askFolderConsent } = await import('../../../src/extension/search/folderConsent');
  const asked: Asked[] = [];
  await askFolderConsent(spec, dir, async (message, detail, buttons) => {
    asked.push({ message, detail, buttons });
    return answer;
  });
  return asked;
}

async function folderWithLlmSettings(ctx: ExtTestContext, llm: Record<string, unknown>): Promise<{ dir: string; spec: TaskSpec }> {
  const { Experiment, initExperiment } = await import('../../../src/engine');
  const dir = join(mkdtempSync(join(tmpdir(), 'trex-consent-')), 'exp');
  initExperiment(dir, readFileSync(join(ctx.experimentDir, 'trex.yaml'), 'utf8'));
  const exp = Experiment.open(dir);
  const spec = { ...exp.spec, llm } as unknown as TaskSpec;
  exp.close();
  return { dir, spec };
}

/** The consent store lives in a private folder during the tests, never the user's ~/.config/trex. */
const configDir = mkdtempSync(join(tmpdir(), 'trex-consent-config-'));
const store = join(configDir, 'trusted-folders.json');
const storeHas = (dir: string) => existsSync(store) && readFileSync(store, 'utf8').includes(JSON.stringify(dir).slice(1, -1));

async function llmConfigFor(spec: TaskSpec, dir: string): Promise<{ baseURL: string; allowed: string[] }> {
  const { resolveLlmConfig } = await import('../../../src/engine/llm');
  const c = resolveLlmConfig(spec, { TREX_CONFIG_DIR: configDir, OPENAI_API_KEY: 'sk-consent-ext-test-0001' }, { dir });
  assert.ok(c, 'an LLM config resolves with the key set');
  return { baseURL: c.baseURL, allowed: c.executor.allowedCommands };
}

export const consentCases: TestCase<ExtTestContext>[] = [
  {
    name: 'folder LLM settings: the default prompt is a modal that reaches the workbench with the settings',
    run: async (ctx) => {
      process.env.TREX_CONFIG_DIR = configDir;
      const { askFolderConsent } = await import('../../../src/extension/search/folderConsent');
      const { dir, spec } = await folderWithLlmSettings(ctx, FOLDER_LLM);
      // Under extension tests the workbench refuses modals with an error that quotes the message: it got this far.
      await assert.rejects(askFolderConsent(spec, dir), (e: Error) => /refused to show dialog in tests/.test(e.message) && /sets where your LLM API key is sent/.test(e.message));
      assert.ok(!storeHas(dir), 'no answer, no consent');
    },
  },
  {
    name: 'folder LLM settings: "Ignore" keeps them ignored and is not asked again in this window',
    run: async (ctx) => {
      process.env.TREX_CONFIG_DIR = configDir;
      const { dir, spec } = await folderWithLlmSettings(ctx, FOLDER_LLM);
      const asked = await ask(spec, dir, 'Ignore these settings');
      assert.equal(asked.length, 1);
      assert.match(asked[0].message, /sets where your LLM API key is sent/);
      assert.match(asked[0].detail, /base_url: "http:\/\/127\.0\.0\.1:9\/v1"/);
      assert.match(asked[0].detail, /executor\.allowed_commands: \["python3"\]/);
      assert.deepEqual(asked[0].buttons, ['Allow for this folder', 'Ignore these settings']);
      const c = await llmConfigFor(spec, dir);
      assert.notEqual(c.baseURL, FOLDER_URL, 'the folder endpoint stays ignored');
      assert.ok(!c.allowed.includes('python3'), 'the Executor is not widened');
      assert.ok(!storeHas(dir), 'a refusal stores no consent');
      assert.equal((await ask(spec, dir, 'Allow for this folder')).length, 0, 'not asked again in this window');
      assert.ok(!storeHas(dir));
    },
  },
  {
    name: 'folder LLM settings: a dismissed prompt is a refusal',
    run: async (ctx) => {
      process.env.TREX_CONFIG_DIR = configDir;
      const { dir, spec } = await folderWithLlmSettings(ctx, FOLDER_LLM);
      assert.equal((await ask(spec, dir, undefined)).length, 1);
      assert.ok(!storeHas(dir));
      assert.notEqual((await llmConfigFor(spec, dir)).baseURL, FOLDER_URL);
    },
  },
  {
    name: 'folder LLM settings: "Allow" is stored outside the folder and not asked again; a change asks again',
    run: async (ctx) => {
      process.env.TREX_CONFIG_DIR = configDir;
      const { dir, spec } = await folderWithLlmSettings(ctx, FOLDER_LLM);
      assert.equal((await ask(spec, dir, 'Allow for this folder')).length, 1);
      assert.ok(storeHas(dir), 'consent recorded in the store');
      assert.ok(!store.startsWith(dir), 'the store is outside the folder');
      const c = await llmConfigFor(spec, dir);
      assert.equal(c.baseURL, FOLDER_URL, 'the consented endpoint is used');
      assert.ok(c.allowed.includes('python3'));
      assert.equal((await ask(spec, dir, 'Ignore these settings')).length, 0, 'not asked again');
      const changed = { ...spec, llm: { base_url: 'http://127.0.0.1:8/v1' } } as unknown as TaskSpec;
      const again = await ask(changed, dir, 'Ignore these settings');
      assert.equal(again.length, 1, 'a changed endpoint asks again');
      assert.match(again[0].detail, /127\.0\.0\.1:8/);
      assert.notEqual((await llmConfigFor(changed, dir)).baseURL, 'http://127.0.0.1:8/v1');
    },
  },
];
