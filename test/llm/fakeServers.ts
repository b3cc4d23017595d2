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
