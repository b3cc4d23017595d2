// What `trex run`'s flags ask of a search, as the engine's request (openSearchSession decides
// the rest exactly as it does for the editor). Progress callbacks are added by the caller.
import { POLICIES, type PolicyName, type SearchSessionRequest } from '../engine';
import { intFlag, stringFlag, UsageError, type ParsedArgs } from './args';

export function searchRequestFromFlags(args: ParsedArgs, env: NodeJS.ProcessEnv): SearchSessionRequest {
  const policy = stringFlag(args, 'policy');
  if (policy !== undefined && !POLICIES.includes(policy as PolicyName)) throw new UsageError(`--policy must be one of ${POLICIES.join(', ')}`);
  const proposer = stringFlag(args, 'proposer');
  if (proposer !== undefined && proposer !== 'offline' && proposer !== 'llm') throw new UsageError('--proposer must be offline or llm');
  if (policy === 'llm-uct' && proposer === 'offline') throw new UsageError('--policy llm-uct needs the LLM Researcher to pick from the shortlist: use --proposer llm (or another policy)');
  const budget = intFlag(args, 'budget', 1);
  return {
    backend: stringFlag(args, 'backend'),
    parallel: intFlag(args, 'parallel', 1),
    proposer,
    env,
    // --trust-folder-llm: the user consents to this folder's llm endpoint / Executor commands (recorded outside it).
    llm: { trustFolder: args.flags.has('trust-folder-llm') },
    policy: policy as PolicyName | undefined,
    seed: intFlag(args, 'seed', 0),
    budget: budget !== undefined ? { max_runs: budget } : undefined,
    acceptNewHost: args.flags.has('accept-new-host'),
  };
}
