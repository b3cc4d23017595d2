// A short real search with the LLM Researcher for tests: the fake OpenAI server and the fake
// research APIs started around the test file, the environment pointing at them, and a greedy
// one-slot search over the micro task on the local backend.
import assert from 'node:assert/strict';
import { Search, type Experiment, type SearchSummary } from '../../../src/engine';
import { selectProposer } from '../../../src/engine/llm';
import { fakeLlmEnv, useFakeServers, type FakeServers } from './fakeServers';
import { testBackend } from './testBackend';

export { useFakeServers, type FakeServers };

/** Runs `trex run --proposer llm`'s search in-process: greedy, one slot, one child per expansion. */
export async function runLlmSearch(exp: Experiment, s: FakeServers, o: { maxRuns: number; timeoutMs?: number; onStopped?: () => void }): Promise<SearchSummary> {
  process.env.TREX_PYTHON ??= '/usr/bin/python3';
  const env = fakeLlmEnv(s, 'sk-search-test', o.timeoutMs ?? 5000);
  const backend = await testBackend(exp.dir);
  const choice = selectProposer(exp, { requested: 'llm', env, backend });
  assert.equal(choice.proposer.name, 'llm', choice.notice);
  const search = new Search(exp, { backend, proposer: choice.proposer, policy: 'greedy', parallel: 1, budget: { max_runs: o.maxRuns }, settings: { children_per_expansion: 1 }, writeInsights: false, pollMs: 50 });
  try {
    return await search.run(new AbortController().signal);
  } finally {
    o.onStopped?.(); // before close(), which waits for the agents' pending work
    await choice.llm!.close();
    await backend.close();
  }
}

/** A proposal that changes one path, as the model would send it. */
export const oneEditIdea = (title: string, path: string, v: unknown) => ({ title, hypothesis: `${title} helps`, rationale: 'r', evidence: [], edits: [{ path, value_json: JSON.stringify(v) }] });
