// Turns a requirement in words into a trex.yaml with the LLM Researcher (requirement analysis).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initFromRequirement, resolveLlmConfig } from '../../engine/llm';
import type { ApiKeyStore } from '../secrets';
import type { TrexSettings } from '../settings';
import { llmOverrides } from './llmOverrides';

export class RequirementAnalysisUnavailable extends Error {
  constructor(readonly reason: 'no-llm') {
    super('no LLM is configured (set the API key, and trex.llm.endpoint for a non-OpenAI endpoint)');
  }
}

/** Returns the text of a validated trex.yaml for the requirement. */
export async function analyzeRequirement(requirement: string, settings: TrexSettings, apiKeys: ApiKeyStore): Promise<string> {
  const config = resolveLlmConfig(null, process.env, await llmOverrides(settings, apiKeys));
  if (!config) throw new RequirementAnalysisUnavailable('no-llm');
  const scratch = mkdtempSync(join(tmpdir(), 'trex-requirement-'));
  try {
    const result = await initFromRequirement(join(scratch, 'exp'), requirement, config);
    return readFileSync(result.specPath, 'utf8');
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
