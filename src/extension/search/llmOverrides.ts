// The editor's part in choosing a proposer: the API key from SecretStorage and the endpoint and
// models from settings, in the form the engine takes (openSearchSession decides which proposer).
import type { LlmOverrides, LlmSettingsInput } from '../../engine/llm';
import type { ApiKeyStore } from '../secrets';
import type { TrexSettings } from '../settings';

export function llmSettingsFrom(settings: TrexSettings): LlmSettingsInput {
  const models: NonNullable<LlmSettingsInput['models']> = {};
  if (settings.researcherModel) models.researcher = settings.researcherModel;
  if (settings.analystModel) {
    models.executor = settings.analystModel;
    models.distiller = settings.analystModel;
  }
  return { ...(settings.llmEndpoint ? { base_url: settings.llmEndpoint } : {}), models };
}

/** For LLM calls outside a search (requirement analysis). */
export async function llmOverrides(settings: TrexSettings, apiKeys: ApiKeyStore, dir?: string): Promise<LlmOverrides> {
  const apiKey = await apiKeys.get();
  return { apiKey: apiKey || undefined, dir, settings: llmSettingsFrom(settings) };
}
