// What the CLI, the extension and the search call on the LLM side: make a metered client, the
// Researcher as a Proposer (with result analysis attached), and the agents callable on their own
// (distill insights, analyse bad cases, run the Executor, research). Usage always reaches the tree.
import { join } from 'node:path';
import type { Backend } from '../backends/backend';
import type { Experiment } from '../experiment';
import { OfflineProposer } from '../proposers/offline';
import type { Proposer } from '../proposers/proposer';
import { LlmAgents, reportUsage } from './agents';
import { LlmClient } from './client';
import { describeLlmConfig, NO_KEY_MESSAGE, resolveLlmConfig, type LlmConfig, type LlmOverrides } from './config';
import { distillWithClient, type DistillOutcome } from './distill';
import { analyzeBadCases as analyzeBadCasesWith, type BadCaseReport } from './executorAgent/badCases';
import { runExecutorAgent as runExecutorAgentWith, type ExecutorOutcome } from './executorAgent/agent';
import { LlmProposer } from '../proposers/llm/llmProposer';
import { runResearch as runResearchWith, topicFromSpec, type ResearchOutcome } from './research/researcher';
import { UsageMeter, zeroTotals, type UsageTotals } from './usage';

export const USAGE_LEDGER = join('.trex', 'llm-usage.jsonl');

/**
 * A client for one experiment: its budget is trex.yaml's budget.max_llm_cost_usd (else the
 * config's cap), counted from the tree's usage events plus what is not reported yet; every call
 * is appended to .trex/llm-usage.jsonl.
 */
export function createLlmClient(exp: Experiment, config: LlmConfig): LlmClient {
  const specLimit = exp.spec.budget?.max_llm_cost_usd;
  const meter = new UsageMeter({
    prices: config.prices,
    limitUsd: specLimit !== undefined && specLimit > 0 ? specLimit : config.maxCostUsd,
    recordedSpentUsd: () => exp.tree.usage.costUsd,
    ledgerPath: join(exp.dir, USAGE_LEDGER),
  });
  return new LlmClient(config, meter);
}

/** A caller may pass a client it already has (sharing its meter) or a config to make one from. */
function clientFor(exp: Experiment, config: LlmConfig | LlmClient): LlmClient {
  return config instanceof LlmClient ? config : createLlmClient(exp, config);
}

export interface CreateLlmProposerOptions {
  /** Run bad-case analysis, insight distillation and failure debugging as results arrive (default true). */
  agents?: boolean;
  debugFailures?: boolean;
  requeueFixed?: boolean;
  research?: boolean;
  signal?: AbortSignal;
  onNotice?: (message: string) => void;
}

/**
 * The LLM Researcher as the search's proposer. It researches first (research.md) when that file
 * is missing, and attaches the agents that analyse results. Call `await proposer.close()` after
 * the search, and run the Search with `writeInsights: false` so the distilled insights.md is not
 * overwritten by the computed one.
 */
export function createLlmProposer(exp: Experiment, config: LlmConfig, backend?: Backend, opts: CreateLlmProposerOptions = {}): LlmProposer {
  const client = createLlmClient(exp, config);
  const agents =
    opts.agents === false
      ? undefined
      : new LlmAgents(exp, { client, backend, debugFailures: opts.debugFailures ?? !!backend, requeueFixed: opts.requeueFixed, signal: opts.signal, onNotice: opts.onNotice });
  return new LlmProposer(exp, { client, agents, research: opts.research, backend });
}

export interface ProposerChoice {
  proposer: Proposer;
  /** The LLM proposer when one was chosen (close it after the search). */
  llm?: LlmProposer;
  config: LlmConfig | null;
  /** Say this to the user: which proposer, or why the offline one is used. */
  notice: string;
}

/**
 * Picks the proposer: `requested` (a --proposer flag), else trex.yaml's `proposer`, else offline.
 * Asked for 'llm' without a key, it falls back to the offline proposer and says so.
 */
export function selectProposer(
  exp: Experiment,
  o: { requested?: 'llm' | 'offline'; env: NodeJS.ProcessEnv; overrides?: LlmOverrides; backend?: Backend } & CreateLlmProposerOptions,
): ProposerChoice {
  const want = o.requested ?? exp.spec.proposer ?? 'offline';
  if (want === 'offline') return { proposer: new OfflineProposer(), config: null, notice: 'Proposer: offline (search-space mutations guided by insights).' };
  const config = resolveLlmConfig(exp.spec, o.env, { dir: exp.dir, ...o.overrides });
  if (!config) return { proposer: new OfflineProposer(), config: null, notice: NO_KEY_MESSAGE };
  const llm = createLlmProposer(exp, config, o.backend, o);
  const warnings = config.warnings.map((w) => `\nwarning: ${w}`).join('');
  return { proposer: llm, llm, config, notice: `Proposer: LLM Researcher. ${describeLlmConfig(config)}.${warnings}` };
}

/** Rewrites insights.md with the distiller; its usage goes into the tree. Never throws. */
export async function distillInsights(exp: Experiment, config: LlmConfig | LlmClient, opts: { signal?: AbortSignal } = {}): Promise<DistillOutcome & { usage: UsageTotals }> {
  const client = clientFor(exp, config);
  const usage = zeroTotals();
  try {
    return { ...(await distillWithClient(exp, client, { ...opts, collector: usage })), usage };
  } finally {
    reportUsage(exp, client.meter, 'distiller', null, usage);
  }
}

/** Writes nodes/<id>/bad_cases.md; with a config the model adds an analysis. Null without predictions. */
export async function analyzeBadCases(exp: Experiment, nodeId: string, config?: LlmConfig | LlmClient, opts: { sample?: number; signal?: AbortSignal } = {}): Promise<BadCaseReport | null> {
  const client = config === undefined ? undefined : clientFor(exp, config);
  const usage = zeroTotals();
  try {
    return await analyzeBadCasesWith(exp, nodeId, { ...opts, client, collector: usage });
  } finally {
    if (client) reportUsage(exp, client.meter, 'executor', nodeId, usage);
  }
}

/** An Executor session on a node: 'debug' a failed node, or do a free-form `task`. */
export async function runExecutorAgent(
  exp: Experiment,
  nodeId: string,
  config: LlmConfig | LlmClient,
  o: { backend?: Backend; mode?: 'debug' | 'task'; task?: string; signal?: AbortSignal },
): Promise<ExecutorOutcome> {
  const client = clientFor(exp, config);
  const outcome = await runExecutorAgentWith(exp, nodeId, { client, backend: o.backend, mode: o.mode ?? (o.task ? 'task' : 'debug'), task: o.task, signal: o.signal });
  reportUsage(exp, client.meter, 'executor', nodeId, outcome.usage);
  return outcome;
}

/** Literature and data research for an experiment (rewrites research.md). */
export async function runResearch(exp: Experiment, config: LlmConfig | LlmClient, opts: { signal?: AbortSignal } = {}): Promise<ResearchOutcome> {
  const client = clientFor(exp, config);
  const usage = zeroTotals();
  try {
    return await runResearchWith(client, exp.dir, topicFromSpec(exp.spec, exp.readText('guidance.md')), { ...opts, collector: usage });
  } finally {
    reportUsage(exp, client.meter, 'researcher', null, usage);
  }
}
