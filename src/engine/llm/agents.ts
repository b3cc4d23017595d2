// Wires the agents to a running experiment: after each result, bad-case analysis and insight
// distillation; after each failure, an Executor debugging session whose verified fix queues the
// node again. Analysis (bad cases, distillation) and debugging run on two separate queues, one
// task at a time each: the proposer awaits analysisIdle() so it proposes from up-to-date insights,
// and never waits for a debugging session of some other node (which can take many minutes while
// training slots sit idle). Every task's LLM usage is emitted as a usage event.
import type { Backend } from '../backends/backend';
import { NODE_FILES, type Experiment } from '../experiment';
import type { TreeEvent } from '../tree/events';
import type { LlmClient } from './client';
import type { LlmRole } from './config';
import { distillWithClient } from './distill';
import { describeError } from './errors';
import { analyzeBadCases } from './executorAgent/badCases';
import { runExecutorAgent } from './executorAgent/agent';
import { settleFix, type NodeSnapshot } from './executorAgent/fixReview';
import { zeroTotals, type UsageMeter, type UsageTotals } from './usage';

export interface LlmAgentsOptions {
  client: LlmClient;
  /** Needed for debugging (commands, cheap checks); without it failures are not debugged. */
  backend?: Backend;
  distill?: boolean;
  badCases?: boolean;
  debugFailures?: boolean;
  /** Queue a node again once the Executor's fix passed the cheap checks (default true). */
  requeueFixed?: boolean;
  signal?: AbortSignal;
  /** One-line messages for people (CLI output, extension notifications). */
  onNotice?: (message: string) => void;
}

/** Puts an agent's spend into the tree (a usage event) and tells the meter it is counted there. */
export function reportUsage(exp: Experiment, meter: UsageMeter, role: LlmRole, nodeId: string | null, usage: UsageTotals): void {
  if (usage.tokens <= 0 && usage.costUsd <= 0) return;
  exp.emit({ type: 'usage', id: nodeId, role, tokens: usage.tokens, costUsd: usage.costUsd });
  meter.markReported(usage.costUsd);
}

export class LlmAgents {
  private analysis: Promise<void> = Promise.resolve();
  private debugging: Promise<void> = Promise.resolve();
  private distillQueued = false;
  /** Nodes whose fix was just settled: the failure recorded then is not debugged again. */
  private readonly settled = new Set<string>();
  private readonly unsubscribe: () => void;
  private disposed = false;

  constructor(
    private readonly exp: Experiment,
    private readonly opts: LlmAgentsOptions,
  ) {
    this.unsubscribe = exp.onEvent((e) => this.onEvent(e));
  }

  /** Resolves when every queued bad-case analysis and distillation is done (debugging may still run). */
  async analysisIdle(): Promise<void> {
    let last: Promise<void>;
    do {
      last = this.analysis;
      await last;
    } while (last !== this.analysis);
  }

  /** Resolves when every queued analysis, distillation and debugging session is done. */
  async idle(): Promise<void> {
    let a: Promise<void>;
    let d: Promise<void>;
    do {
      a = this.analysis;
      d = this.debugging;
      await Promise.all([a, d]);
    } while (a !== this.analysis || d !== this.debugging);
  }

  async close(): Promise<void> {
    this.disposed = true;
    this.unsubscribe();
    await this.idle();
  }

  private onEvent(e: TreeEvent): void {
    if (this.disposed) return;
    if (e.type === 'node_result') {
      if (this.opts.badCases !== false && !e.result.reusedFrom) this.enqueue('analysis', () => this.badCases(e.id));
      this.queueDistill();
    } else if (e.type === 'node_failed') {
      if (this.settled.delete(e.id)) return;
      if (this.opts.debugFailures ?? !!this.opts.backend) this.enqueue('debugging', () => this.debug(e.id));
      this.queueDistill();
    }
  }

  private enqueue(queue: 'analysis' | 'debugging', task: () => Promise<void>): void {
    const run = async () => {
      if (this.opts.signal?.aborted) return;
      try {
        await task();
      } catch (e) {
        this.opts.onNotice?.(`LLM agent task failed: ${describeError(e)}`);
      }
    };
    if (queue === 'analysis') this.analysis = this.analysis.then(run);
    else this.debugging = this.debugging.then(run);
  }

  private queueDistill(): void {
    if (this.opts.distill === false || this.distillQueued) return;
    this.distillQueued = true;
    this.enqueue('analysis', async () => {
      this.distillQueued = false;
      const usage = zeroTotals();
      try {
        const r = await distillWithClient(this.exp, this.opts.client, { signal: this.opts.signal, collector: usage });
        if (!r.ok) this.opts.onNotice?.(`insights.md: ${r.reason}`);
      } finally {
        reportUsage(this.exp, this.opts.client.meter, 'distiller', null, usage);
      }
    });
  }

  private async badCases(id: string): Promise<void> {
    const usage = zeroTotals();
    try {
      await analyzeBadCases(this.exp, id, { client: this.opts.client, signal: this.opts.signal, collector: usage });
    } finally {
      reportUsage(this.exp, this.opts.client.meter, 'executor', id, usage);
    }
  }

  private async debug(id: string): Promise<void> {
    const node = this.exp.tree.nodes.get(id);
    if (!node || node.status !== 'failed' || this.exp.tree.isPruned(id)) return;
    const before: NodeSnapshot = { plan: this.exp.readText(`nodes/${id}/${NODE_FILES.plan}`) ?? '', config: this.exp.readNodeConfig(id) };
    const outcome = await runExecutorAgent(this.exp, id, { client: this.opts.client, backend: this.opts.backend, mode: 'debug', signal: this.opts.signal });
    reportUsage(this.exp, this.opts.client.meter, 'executor', id, outcome.usage);
    if (outcome.status === 'limit') return;
    const fixed = outcome.status === 'fixed' && outcome.verified?.ok === true;
    this.opts.onNotice?.(`Executor on ${id}: ${outcome.status} — ${outcome.summary.split('\n')[0].slice(0, 200)}`);
    const still = this.exp.tree.nodes.get(id);
    if (!fixed || still?.status !== 'failed' || this.exp.tree.isPruned(id)) return;
    try {
      this.settled.add(id);
      const s = settleFix(this.exp, id, before, outcome.summary, this.opts.requeueFixed !== false);
      if (s.kind === 'requeued') this.settled.delete(id);
      if (s.kind === 'requeued' && this.opts.requeueFixed !== false) this.opts.onNotice?.(`${id} queued again after the Executor's fix passed the cheap checks.`);
      if (s.kind !== 'requeued') this.opts.onNotice?.(`${id}: ${s.reason}`);
    } catch (e) {
      this.settled.delete(id);
      this.opts.onNotice?.(`${id} could not be queued again: ${describeError(e)}`);
    }
  }
}
