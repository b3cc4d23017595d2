// Shared test fixtures for the LLM agents: a config pointed at the fake server with small
// timeouts, temporary experiments with a tiny micro task, and a meter.
import { join } from 'node:path';
import { Experiment, initExperiment } from '../../../src/engine';
import { LlmClient, resolveLlmConfig, UsageMeter, type LlmConfig, type LlmSettingsInput } from '../../../src/engine/llm';

export function testConfig(baseURL: string, settings: LlmSettingsInput = {}): LlmConfig {
  const c = resolveLlmConfig(null, {}, {
    apiKey: 'sk-test-secret-key',
    settings: {
      base_url: baseURL,
      model: 'gpt-4o-mini',
      timeout_ms: 3000,
      max_retries: 0,
      reply_attempts: 3,
      ...settings,
      research: { allow_private_urls: true, timeout_ms: 2000, ...(settings.research ?? {}) },
    },
  });
  if (!c) throw new Error('no config');
  return c;
}

export function testClient(config: LlmConfig, limitUsd?: number, ledgerPath?: string): LlmClient {
  return new LlmClient(config, new UsageMeter({ prices: config.prices, limitUsd, ledgerPath }));
}

import { cleanupTempDirs, tempDir } from '../../helpers/tempDir';

export { cleanupTempDirs, tempDir };

export const MICRO_SPEC = `name: tiny-addition
objective: Add two 3-digit numbers exactly.
base_model: micro-gpt
task: { kind: micro, generator: addition }
metric: { name: exact_match, goal: maximize }
evaluation: { validation_size: 20, test_size: 20, seed: 7 }
budget: { max_runs: 3 }
search: { policy: greedy, children_per_expansion: 2 }
baseline:
  recipe:
    sources: [{ name: addition, kind: generator, generator: addition, num_examples: 200 }]
    format: { template: plain }
  train: { framework: micro, learning_rate: 0.001, epochs: 1, batch_size: 32 }
search_space:
  - { path: train.learning_rate, values: [0.0003, 0.001, 0.003] }
  - { path: recipe.format.template, values: [plain, reversed] }
`;

/** A fresh experiment with the micro spec and its root node created. */
export function newExperiment(specText = MICRO_SPEC): Experiment {
  const dir = join(tempDir(), 'exp');
  initExperiment(dir, specText);
  const exp = Experiment.open(dir);
  exp.createNode({
    parent: null,
    origin: 'root',
    title: 'baseline',
    plan: '# Baseline\n',
    config: { recipe: exp.spec.baseline.recipe as never, train: exp.spec.baseline.train as never },
    changes: [],
  });
  return exp;
}
