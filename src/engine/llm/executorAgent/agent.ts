// The Executor agent: works on one node with file, log and command tools until it can report a
// structured result. Used to debug a failed stage (then its fix is verified by the cheap checks)
// or for any task a plan needs beyond rendering configs. Sessions per node, steps and time are
// bounded, and every step is appended to nodes/<id>/executor.jsonl.
import type { Backend } from '../../backends/backend';
import { NODE_FILES, type Experiment } from '../../experiment';
import { runAgentLoop } from '../agentLoop';
import type { LlmClient } from '../client';
import { truncateEnd, truncateMiddle } from '../text';
import { zeroTotals, type UsageTotals } from '../usage';
import { BAD_CASES_FILE } from './badCases';
import { nodeInputsFingerprint, runCheapChecks } from './cheapChecks';
import { appendExecutorRecord, sessionCount } from './records';
import { executorTools, type ExecutorToolContext } from './tools';
import { compactTranscript } from './transcript';

export type ExecutorStatus = 'fixed' | 'done' | 'not_fixed' | 'limit' | 'error';

export interface ExecutorOutcome {
  status: ExecutorStatus;
  summary: string;
  session: number;
  steps: number;
  changedFiles: string[];
  usage: UsageTotals;
  /** The cheap check run to verify a claimed fix, if any. */
  verified?: { ok: boolean; reason?: string };
}

export interface ExecutorAgentOptions {
  client: LlmClient;
  backend?: Backend;
  /** 'debug': make a failed node run again; 'task': do what `task` says. */
  mode: 'debug' | 'task';
  task?: string;
  signal?: AbortSignal;
}

interface FinishArgs {
  status: 'fixed' | 'done' | 'not_fixed';
  summary: string;
  changed_files: string[];
}

const FINISH_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['status', 'summary', 'changed_files'],
  properties: {
    status: { enum: ['fixed', 'done', 'not_fixed'], description: 'fixed: failure repaired; done: task complete; not_fixed: could not.' },
    summary: { type: 'string', description: 'What was wrong and what you changed, or why not.' },
    changed_files: { type: 'array', items: { type: 'string' } },
  },
};

/** The most a tool result may be; the tools that read files and logs point to the rest. */
const EXECUTOR_TOOL_OUTPUT_CHARS = 6000;

function systemPrompt(exp: Experiment, nodeId: string, hasBackend: boolean, allowed: string[]): string {
  return [
    'You are the Executor of TREX, a code agent that works on one experiment node of a fine-tuning tree search.',
    `The node folder (nodes/${nodeId}/) holds ${NODE_FILES.plan} (the plan), ${NODE_FILES.recipe} (data recipe), ${NODE_FILES.train} (training config), logs/<stage>.log, data_stats.json, metrics.json and predictions.jsonl after evaluation, and ${BAD_CASES_FILE} (errors by class or slice; fixed/broken vs the parent).`,
    'The engine runs three stages with these files: prepare (builds the data from the recipe), train, evaluate. You may edit the config files and write helper files (put scripts and outputs under work/).',
    hasBackend ? `You can run commands in the node folder (allowed programs: ${allowed.join(', ')}) and the cheap check (small data sample + a few training steps).` : 'You cannot run commands in this session.',
    'Never fabricate results: metrics and predictions come only from the engine. Keep the plan\'s intent when you fix a config: change as little as needed.',
    // The schema is a tool, not part of every request: write_file validates the config files and names what is wrong.
    'write_file validates recipe.yaml and train.yaml and names what is wrong; config_schema lists their fields.',
    'Older tool results are sent back as one-line summaries; call the tool again to see one whole.',
    `Task context: objective "${truncateEnd(exp.spec.objective, 200)}", base model ${exp.spec.base_model}, metric ${exp.spec.metric.name} (${exp.spec.metric.goal}).`,
    'When done, call finish with status, summary and the files you changed.',
  ].join('\n');
}

function debugTask(exp: Experiment, nodeId: string): string {
  const n = exp.tree.get(nodeId);
  const f = n.failure;
  return [
    `Node ${nodeId} ("${n.title}") failed${f ? ` in the ${f.stage} stage: ${truncateEnd(f.reason, 600)}` : ''}.`,
    f?.logTail ? `Log tail:\n${truncateMiddle(f.logTail, 3000)}` : '',
    'Find the cause (read the logs and the config), fix the node\'s files so it runs, check it with cheap_check if you can, then call finish.',
    'If the failure cannot be fixed by editing this node (e.g. a machine problem), finish with not_fixed and explain.',
  ]
    .filter(Boolean)
    .join('\n\n');
}

export async function runExecutorAgent(exp: Experiment, nodeId: string, o: ExecutorAgentOptions): Promise<ExecutorOutcome> {
  const settings = o.client.config.executor;
  const usage = zeroTotals();
  const done = sessionCount(exp, nodeId);
  if (done >= settings.maxSessions) {
    return { status: 'limit', summary: `the Executor already had ${done} session(s) on ${nodeId} (limit ${settings.maxSessions}); not trying again`, session: done, steps: 0, changedFiles: [], usage };
  }
  const session = done + 1;
  const task = o.mode === 'debug' ? debugTask(exp, nodeId) : (o.task ?? '').trim();
  if (!task) return { status: 'error', summary: 'no task given', session, steps: 0, changedFiles: [], usage };
  appendExecutorRecord(exp, nodeId, { kind: 'session_start', session, mode: o.mode, task: truncateEnd(task, 2000), model: o.client.model('executor') });
  const changed = new Set<string>();
  const toolCtx: ExecutorToolContext = { exp, nodeId, settings, backend: o.backend, session, changed };
  const t0 = Date.now();
  let run;
  try {
    run = await runAgentLoop<FinishArgs>({
      client: o.client,
      role: 'executor',
      purpose: o.mode === 'debug' ? 'debug' : 'executor_task',
      nodeId,
      system: systemPrompt(exp, nodeId, !!o.backend, settings.allowedCommands),
      user: task,
      tools: executorTools(toolCtx),
      finish: { name: 'finish', description: 'Report the result of this session.', schema: FINISH_SCHEMA },
      maxSteps: settings.maxSteps,
      maxToolOutputChars: EXECUTOR_TOOL_OUTPUT_CHARS,
      compact: (messages) => compactTranscript(messages),
      timeMs: settings.sessionTimeMs,
      signal: o.signal,
      collector: usage,
      onStep: (s) =>
        appendExecutorRecord(exp, nodeId, {
          kind: 'step',
          session,
          step: s.step,
          type: s.kind,
          tool: s.tool,
          args: s.args === undefined ? undefined : truncateEnd(JSON.stringify(s.args), 1500),
          ok: s.ok,
          output: truncateEnd(s.output, 2000),
          tokens: s.tokens,
          costUsd: s.costUsd,
        }),
    });
  } catch (e) {
    run = { stopReason: 'error' as const, reason: (e as Error).message, steps: 0, result: undefined };
  }

  let status: ExecutorStatus;
  let summary: string;
  let verified: ExecutorOutcome['verified'];
  if (!run.result) {
    status = 'error';
    summary = `stopped without a result (${run.stopReason}): ${run.reason ?? ''}`.trim();
  } else {
    status = run.result.status;
    summary = run.result.summary.trim() || '(no summary)';
    // Trust, but verify: a claimed fix must pass the cheap checks before the node runs again. The
    // check runs once per fix: the agent's own last check counts when the node's files have not
    // changed since it ran.
    if (status === 'fixed' && o.backend && !o.signal?.aborted) {
      const last = toolCtx.lastCheck;
      const reuse = last !== undefined && last.fingerprint === nodeInputsFingerprint(exp, nodeId);
      const c = reuse ? last.result : await runCheapChecks(exp, nodeId, o.backend, { examples: settings.cheapCheckExamples, steps: settings.cheapCheckSteps, timeoutMs: settings.cheapCheckTimeoutMs, signal: o.signal, session });
      if (reuse) appendExecutorRecord(exp, nodeId, { kind: 'verification', session, ok: c.ok, reusedCheck: true, reason: c.reason });
      verified = { ok: c.ok, reason: c.reason };
      if (!c.ok) {
        status = 'not_fixed';
        summary = `${summary} — but the cheap check still fails: ${c.reason ?? ''}`;
      }
    }
  }
  appendExecutorRecord(exp, nodeId, { kind: 'session_end', session, status, summary: truncateEnd(summary, 2000), changedFiles: [...changed], steps: run.steps, stopReason: run.stopReason, wallMs: Date.now() - t0, tokens: usage.tokens, costUsd: usage.costUsd });
  return { status, summary, session, steps: run.steps, changedFiles: [...changed], usage, verified };
}
