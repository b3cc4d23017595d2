// The CLI and the extension start a search through the same engine function (openSearchSession):
// for the same user intent, `trex run`'s flags and the editor's settings + stored key open
// sessions with the same proposer, backend, slots and threads.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseArgs } from '../../src/cli/args';
import { searchRequestFromFlags } from '../../src/cli/runRequest';
import { chooseProposer, Experiment, ExperimentLock, initExperiment, openSearchSession, readExample, searchSettings, type SearchSessionRequest } from '../../src/engine';
import type { TrexSettings } from '../../src/extension/settings';
import { searchRequestFromSettings } from '../../src/extension/search/sessionRequest';
import { tempDir } from '../helpers/cli';

const NO_SETTINGS: TrexSettings = {
  llmEndpoint: '',
  researcherModel: '',
  analystModel: '',
  defaultPolicy: '',
  parallelSlots: 0,
  computeBackend: '',
  remoteWorkDir: '',
  python: '',
  logMaxBytesShown: 1 << 20,
  followSearchLogs: false,
};
// A loopback endpoint nobody listens on: opening a session must not call the model.
const QUIET_ENV = { TREX_LLM_BASE_URL: 'http://127.0.0.1:9/v1', TREX_CONFIG_DIR: tempDir('trex-session-config-'), PATH: process.env.PATH ?? '' };

function experiment(extraSpec = ''): Experiment {
  const dir = tempDir('trex-session-');
  initExperiment(dir, readExample('addition').text + extraSpec);
  return Experiment.open(dir);
}

async function opened(exp: Experiment, req: SearchSessionRequest): Promise<{ proposer: string; backend: string; slots: number; threads: number; insights: string }> {
  const s = await openSearchSession(exp, { ...req, preflight: false });
  try {
    assert.notEqual(new ExperimentLock(exp.dir).holder(), null, 'the session holds the experiment lock');
    return { proposer: s.proposerKind, backend: s.backend.name, slots: s.slots, threads: s.threads, insights: s.insightsWriter };
  } finally {
    await s.close();
    assert.equal(new ExperimentLock(exp.dir).holder(), null, 'closing the session releases the lock');
  }
}

const cases: { name: string; flags: string[]; settings: Partial<TrexSettings>; storedKey?: string; env: Record<string, string>; spec?: string; want: { proposer: string; slots?: number } }[] = [
  { name: 'nothing configured', flags: [], settings: {}, env: {}, want: { proposer: 'offline' } },
  { name: 'a TREX key in the environment', flags: [], settings: {}, env: { TREX_LLM_API_KEY: 'sk-trex' }, want: { proposer: 'llm' } },
  { name: 'only a generic OpenAI key in the environment', flags: [], settings: {}, env: { OPENAI_API_KEY: 'sk-other-tool' }, want: { proposer: 'offline' } },
  { name: 'trex.yaml asks for the LLM, generic key present', flags: [], settings: {}, env: { OPENAI_API_KEY: 'sk-other-tool' }, spec: '\nproposer: llm\n', want: { proposer: 'llm' } },
  { name: 'three slots and the local backend chosen by the user', flags: ['--parallel', '3', '--backend', 'local'], settings: { parallelSlots: 3, computeBackend: 'local' }, env: {}, want: { proposer: 'offline', slots: 3 } },
];

for (const c of cases) {
  test(`CLI and editor open the same search: ${c.name}`, async () => {
    const env = { ...QUIET_ENV, ...c.env };
    const cliExp = experiment(c.spec);
    const fromCli = await opened(cliExp, searchRequestFromFlags(parseArgs(['run', cliExp.dir, ...c.flags], new Set()), env));
    cliExp.close();
    const editorExp = experiment(c.spec);
    const fromEditor = await opened(editorExp, searchRequestFromSettings({ ...NO_SETTINGS, ...c.settings }, c.storedKey, editorExp.dir, env));
    editorExp.close();
    assert.deepEqual(fromCli, fromEditor);
    assert.equal(fromCli.proposer, c.want.proposer);
    assert.equal(fromCli.slots, c.want.slots ?? searchSettings(cliExp.spec).parallel, 'slots: the user\'s, else trex.yaml\'s search.parallel');
    assert.equal(fromCli.backend, 'local');
    assert.equal(fromCli.insights, c.want.proposer === 'llm' ? 'llm-distiller' : 'computed', 'the LLM distiller, when present, is the one insights writer');
  });
}

test('a key stored in the editor switches the Researcher on, as TREX_LLM_API_KEY does for the CLI', async () => {
  const exp = experiment();
  const fromEditor = await opened(exp, searchRequestFromSettings(NO_SETTINGS, 'sk-stored', exp.dir, QUIET_ENV));
  exp.close();
  assert.equal(fromEditor.proposer, 'llm');
  assert.equal(chooseProposer(exp.spec, undefined, { TREX_LLM_API_KEY: 'sk' }), 'llm');
  assert.equal(chooseProposer(exp.spec, 'offline', { TREX_LLM_API_KEY: 'sk' }), 'offline', 'what the user asks for wins');
});

test('a session that fails to open releases the lock', async () => {
  const exp = experiment();
  await assert.rejects(openSearchSession(exp, { env: QUIET_ENV, backend: 'nonsense:x' }));
  assert.equal(new ExperimentLock(exp.dir).holder(), null);
  exp.close();
});
