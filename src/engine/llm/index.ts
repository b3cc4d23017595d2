// The LLM agents' public surface for the CLI and the extension (never imports vscode):
//   resolveLlmConfig → null without a key (fall back to the offline proposer, say NO_KEY_MESSAGE)
//   selectProposer / createLlmProposer → the Researcher as a Proposer, with result analysis attached
//   initFromRequirement → trex.yaml from a free-text requirement
//   distillInsights, analyzeBadCases, runExecutorAgent, runCheapChecks → callable on their own
// Re-exports only; the logic lives in services.ts and the files it names.
export { resolveLlmConfig, describeLlmConfig, NO_KEY_MESSAGE, LLM_ROLES, LLM_SETTINGS_SCHEMA, DEFAULT_MODEL, folderConsentNeeded, recordFolderConsent } from './config';
export type { LlmConfig, LlmOverrides, LlmRole, LlmSettingsInput, ResearchSettings, ExecutorSettings, FolderConsentRequest } from './config';
export { DEFAULT_PRICES, priceFor, priceCall, type PriceTable, type ModelPrice } from './pricing';
export { UsageMeter, readUsageLedger, type CallUsage, type UsageTotals } from './usage';
export { LlmClient, type ChatMessage, type Completion } from './client';
export { LlmError, describeError, type LlmErrorKind } from './errors';
export { LlmProposer, PROPOSAL_SCHEMA, type ProposalReply } from '../proposers/llm/llmProposer';
export { applyEdits, type ProposalEdit } from '../proposers/llm/applyEdits';
export { LlmAgents, reportUsage, type LlmAgentsOptions } from './agents';
export { initFromRequirement, type InitFromRequirementResult, type InitFromRequirementOptions } from './requirement';
export { runCheapChecks, cheapCheckConfig, type CheapCheckResult, type CheapCheckOptions } from './executorAgent/cheapChecks';
export { EXECUTOR_LOG, readExecutorRecords } from './executorAgent/records';
export { BAD_CASES_FILE, errorPattern, readPredictions, type BadCaseReport } from './executorAgent/badCases';
export { RESEARCH_FILE, type ResearchOutcome, type ResearchFindings } from './research/researcher';
export type { DistillOutcome } from './distill';
export type { ExecutorOutcome } from './executorAgent/agent';

export {
  USAGE_LEDGER,
  createLlmClient,
  createLlmProposer,
  selectProposer,
  distillInsights,
  analyzeBadCases,
  runExecutorAgent,
  runResearch,
  type CreateLlmProposerOptions,
  type ProposerChoice,
} from './services';
