// The fake OpenAI-compatible server (and, when asked, the fake research APIs) started before a
// test file's tests and stopped after them; temp dirs are removed then too (TREX_KEEP_TMP keeps them).
import { after, before } from 'node:test';
import { FakeOpenAI } from './fakeOpenAI';
import { FakeResearchApis } from './fakeResearchApis';
import { cleanupTempDirs } from './helpers';

export interface FakeServers {
  fake: FakeOpenAI;
  apis: FakeResearchApis;
}

export function useFakeServers(o: { research?: boolean } = { research: true }): FakeServers {
  const servers = {} as FakeServers;
  before(async () => {
    servers.fake = await FakeOpenAI.start();
    if (o.research) servers.apis = await FakeResearchApis.start();
  });
  after(async () => {
    await servers.fake?.close();
    await servers.apis?.close();
    if (!process.env.TREX_KEEP_TMP) cleanupTempDirs();
  });
  return servers;
}

/** The environment that points the LLM agents and research tools at the fakes (the key is the test's own). */
export function fakeLlmEnv(s: FakeServers, apiKey: string, timeoutMs = 5000): Record<string, string> {
  return {
    TREX_LLM_API_KEY: apiKey,
    TREX_LLM_BASE_URL: s.fake.baseURL,
    TREX_LLM_MODEL: 'gpt-4o-mini',
    TREX_LLM_TIMEOUT_MS: String(timeoutMs),
    TREX_LLM_MAX_RETRIES: '0',
    TREX_ARXIV_URL: s.apis.baseURL,
    TREX_SEMANTIC_SCHOLAR_URL: s.apis.baseURL,
    TREX_HF_URL: s.apis.baseURL,
  };
}
