// A proposer turns a selected node into K children (plan + edited recipe/train config).
// The offline proposer ships here; the LLM Researcher implements the same interface.
import type { Experiment } from '../experiment';
import type { Insights } from '../insights';
import type { ExpansionStep } from '../search/llmUct';
import type { Rng } from '../search/rng';
import type { NodeConfig } from '../spec/configPaths';
import type { Budget } from '../spec/types';
import type { EdgeChange } from '../tree/events';
import type { NodeFile } from '../proposalFiles';

export interface Proposal {
  title: string;
  plan: string; // plan.md: hypothesis, rationale, what changed vs the parent
  config: NodeConfig;
  changes: EdgeChange[];
  /** Data scripts for the new node's folder (see proposalFiles.ts). */
  files?: NodeFile[];
}

export interface ProposalContext {
  exp: Experiment;
  parentId: string;
  k: number;
  rng: Rng;
  insights: Insights;
  /** Config hashes already in the tree: proposing one again would be wasted work. */
  knownHashes: Set<string>;
  guidance: string;
  /** The search's budget (the spec's, or the one the run was started with). */
  budget?: Budget;
  signal?: AbortSignal;
  /** The kind of step asked of this expansion (policy llm-uct), and why. */
  step?: ExpansionStep;
}

export interface ProposalResult {
  proposals: Proposal[];
  dropped: { reason: string }[];
  /** Tokens and cost spent making the proposals (LLM proposers). */
  usage?: { tokens: number; costUsd: number };
}

export interface Proposer {
  readonly name: string;
  propose(ctx: ProposalContext): Promise<ProposalResult>;
}
