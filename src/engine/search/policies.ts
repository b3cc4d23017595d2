import type { PolicyName } from '../spec/types';
import type { SelectionPolicy } from './policy';
import { greedyPolicy, randomPolicy, sequentialPolicy } from './simplePolicies';
import { budgetedUct, DEFAULT_UCT_TUNING, uctPolicy } from './uct';

const POLICY_BY_NAME: Record<PolicyName, SelectionPolicy> = {
  uct: uctPolicy,
  greedy: greedyPolicy,
  random: randomPolicy,
  sequential: sequentialPolicy,
  // The formula's own pick; the Researcher's judgement over its shortlist is applied by the runner (llmUct.ts).
  'llm-uct': budgetedUct(DEFAULT_UCT_TUNING, 'llm-uct'),
};

export function policyByName(name: PolicyName): SelectionPolicy {
  return POLICY_BY_NAME[name];
}
