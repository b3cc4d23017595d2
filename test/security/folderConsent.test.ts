// The editor's consent for an experiment folder's endpoint / Executor permissions (issue 16): the
// engine says what needs consent, the prompt shows it, consent is stored outside the folder in
// the CLI's trusted-folders store, and a changed setting asks again.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { TaskSpec } from '../../src/engine';
import { folderConsentNeeded, recordFolderConsent, resolveLlmConfig } from '../../src/engine/llm';
import { folderConsentText } from '../../src/extension/search/folderConsentText';
import { cleanupTempDirs, newExperiment, tempDir } from '../engine/llm/helpers';

after(() => cleanupTempDirs());

test('a folder endpoint needs consent once; the consent is stored outside the folder; a change asks again', () => {
  const exp = newExperiment();
  const env = { OPENAI_API_KEY: 'sk-consent-test-000001', TREX_CONFIG_DIR: tempDir('trex-consent-') };
  const spec = { ...exp.spec, llm: { base_url: 'http://127.0.0.1:9/v1', executor: { allowed_commands: ['python3'] } } } as unknown as TaskSpec;
  const req = folderConsentNeeded(spec, exp.dir, env);
  assert.deepEqual(req?.settings, { base_url: 'http://127.0.0.1:9/v1', 'executor.allowed_commands': ['python3'] });
  assert.deepEqual(req?.sources, ['trex.yaml']);
  const text = folderConsentText(exp.dir, req!);
  assert.match(text.detail, /base_url: "http:\/\/127\.0\.0\.1:9\/v1"/);
  assert.match(text.detail, /executor\.allowed_commands: \["python3"\]/);
  assert.ok(!text.detail.includes('sk-consent'), 'the key is never shown');
  assert.notEqual(resolveLlmConfig(spec, env, { dir: exp.dir })!.baseURL, 'http://127.0.0.1:9/v1', 'ignored before consent');

  recordFolderConsent(spec, exp.dir, env);
  assert.equal(folderConsentNeeded(spec, exp.dir, env), null, 'asked once');
  const store = join(env.TREX_CONFIG_DIR, 'trusted-folders.json');
  assert.ok(existsSync(store) && !store.startsWith(exp.dir));
  assert.ok(readFileSync(store, 'utf8').includes(exp.dir));
  const c = resolveLlmConfig(spec, env, { dir: exp.dir })!;
  assert.equal(c.baseURL, 'http://127.0.0.1:9/v1');
  assert.ok(c.executor.allowedCommands.includes('python3'));

  const changed = { ...spec, llm: { base_url: 'http://attacker.example/v1' } } as unknown as TaskSpec;
  assert.deepEqual(folderConsentNeeded(changed, exp.dir, env)?.settings, { base_url: 'http://attacker.example/v1' });
});

test('a folder with no endpoint or Executor settings asks nothing', () => {
  const exp = newExperiment();
  const env = { TREX_CONFIG_DIR: tempDir('trex-consent-') };
  assert.equal(folderConsentNeeded(exp.spec, exp.dir, env), null);
  assert.equal(folderConsentNeeded({ ...exp.spec, llm: { models: { researcher: 'm' } } } as unknown as TaskSpec, exp.dir, env), null);
});
