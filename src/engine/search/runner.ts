// The search loop: keeps the parallel slots busy with pending nodes, asks the policy which node to
// expand and the proposer for its children when the queue runs dry, and stops cleanly at the
// budget, when nothing is left to try, or when asked to.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Backend } from '../backends/backend';
import { configHash, GUIDANCE_FILE, INSIGHTS_FILE, type Experiment } from '../experiment';
import { NodeExecutor, type NodeOutcome } from '../executor/executor';
import type { StageProgress } from '../executor/progress';
import { computeInsights, renderInsights } from '../insights';
import { specValidationSize } from '../metricNoise';
import type { Proposal, Proposer } from '../proposers/proposer';
import { proposalKey } from '../proposalFiles';
import { getPath } from '../spec/configPaths';
import { OfflineProposer } from '../proposers/offline';
import type { Budget, PolicyName, SearchSettings } from '../spec/types';
import { searchSettings } from '../spec/types';
import { policyByName } from './policies';
import { chooseExpansion, type ExpansionJudge, type ExpansionStep } from './llmUct';
import type { SelectionPolicy } from './policy';
import { Rng } from './rng';
import { defaultSetter } from '../tree/provenance';
import { FINAL_PICK_PROPOSER, FINALISTS, finalPick, finalPickApplies, finalRuns, seedReruns, topConfigs, type FinalPick } from './finalPick';

export interface SearchOptions {
  backend: Backend;
  proposer: Proposer;
  /** Used for one expansion when `proposer` returns only dropped proposals; default: the offline proposer (null: none). */
  fallbackProposer?: Proposer | null;
  /** Things the user should know that are not tree events (a fallback was used). */
  onNotice?: (message: string) => void;
  policy?: PolicyName;
  /** A selection policy object instead of a named one (benchmarks compare tunings); `policy` still names it in the log. */
  selection?: SelectionPolicy;
  parallel?: number;
  seed?: number;
  budget?: Budget;
  /** Overrides of the task's search settings (benchmarks switch reuse off, say). */
  settings?: Partial<SearchSettings>;
  threads?: number;
  pollMs?: number;
  onProgress?: (p: StageProgress) => void;
  /** Writes insights.md after each result (on by default). */
  writeInsights?: boolean;
  /** In approval mode, keep waiting for the user's verdict (an editor) instead of returning (the CLI). */
  waitForApproval?: boolean;
  /** Picks from UCT's shortlist under policy llm-uct (the LLM Researcher); without one, llm-uct selects as uct. */
  judge?: ExpansionJudge;
}

export interface SearchSummary {
  reason: 'budget' | 'exhausted' | 'stopped' | 'awaiting_approval';
  runs: number;
  best?: { id: string; score: number; testScore?: number };
  /** The recommendation by mean over seeds, when the final pick ran. */
  final?: FinalPick;
}

export class Search {
  readonly settings: SearchSettings;
  readonly budget: Budget;
  private readonly executor: NodeExecutor;
  private readonly rng: Rng;
  private readonly exhausted = new Set<string>();
  /** Expansions whose primary proposals were all dropped, by parent. */
  private readonly proposalFailures = new Map<string, number>();
  /** Used for an expansion when the primary proposer returns nothing usable. */
  private readonly fallback: Proposer | null;
  private readonly running = new Map<string, Promise<NodeOutcome>>();
  private wake: (() => void) | null = null;
  private poked = false;
  private judgeMissingSaid = false;

  constructor(
    private readonly exp: Experiment,
    private readonly opts: SearchOptions,
  ) {
    const base = searchSettings(exp.spec);
    this.settings = { ...base, ...opts.settings, policy: opts.policy ?? opts.settings?.policy ?? base.policy, parallel: opts.parallel ?? opts.settings?.parallel ?? base.parallel, seed: opts.seed ?? opts.settings?.seed ?? base.seed };
    this.budget = { ...exp.spec.budget, ...opts.budget };
    this.rng = new Rng(this.settings.seed * 7919 + 17);
    this.fallback = opts.fallbackProposer !== undefined ? opts.fallbackProposer : opts.proposer.name === 'offline' ? null : new OfflineProposer();
    this.executor = new NodeExecutor(exp, opts.backend, {
      reuse: this.settings.reuse,
      threads: opts.threads ?? 1,
      pollMs: opts.pollMs,
      onProgress: opts.onProgress,
      earlyStopping: this.settings.early_stopping,
    });
  }

  /** Wakes the loop (after an approval, a prune, a fork) so it reconsiders what to run. */
  poke(): void {
    this.poked = true;
    this.wake?.();
  }

  async run(signal: AbortSignal): Promise<SearchSummary> {
    const exp = this.exp;
    const tree = exp.tree;
    await this.opts.backend.preflight();
    exp.emit({ type: 'search_started', policy: this.settings.policy, budget: { ...this.budget }, pid: process.pid });
    if (!tree.root) {
      exp.createNode({
        parent: null,
        origin: 'root',
        title: 'baseline',
        plan: `# Baseline\n\nThe task's baseline configuration from trex.yaml, unchanged. Every other node is an edit of this one.\n\n## Objective\n\n${exp.spec.objective}\n`,
        config: { recipe: exp.spec.baseline.recipe as never, train: exp.spec.baseline.train as never },
        changes: [],
      });
    }
    // Resume: nodes that were running when the last search ended are re-attached first.
    for (const n of tree.nodes.values()) if (n.status === 'running') this.launch(n.id, signal);

    let reason: SearchSummary['reason'] = 'exhausted';
    const onAbort = () => this.poke();
    signal.addEventListener('abort', onAbort);
    // A finished stage can make a node a candidate for speculative expansion.
    const offStage = exp.onEvent((e) => e.type === 'stage_finished' && this.poke());
    try {
      for (;;) {
        if (signal.aborted) {
          reason = 'stopped';
          break;
        }
        const overBudget = this.overBudget();
        let startedSomething = false;
        while (!overBudget && this.running.size < this.slots()) {
          const next = this.nextPending();
          if (next) {
            this.launch(next, signal);
            startedSomething = true;
            if (this.overBudget()) break;
            continue;
          }
          const expanded = await this.expand(signal);
          if (!expanded) break;
        }
        if (this.running.size === 0 && !startedSomething) {
          reason = overBudget ? 'budget' : [...tree.nodes.values()].some((n) => n.status === 'awaiting_approval') ? 'awaiting_approval' : 'exhausted';
          if (reason !== 'awaiting_approval' || !this.opts.waitForApproval || signal.aborted) break;
        }
        await this.waitForChange();
      }
      // A stop cancels running jobs; their nodes go back to pending and resume next time.
      await Promise.all(this.running.values());
      if ((reason === 'budget' || reason === 'exhausted') && !signal.aborted) {
        await this.runFinalPick(signal);
        if (signal.aborted) reason = 'stopped';
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      offStage();
    }
    exp.emit({ type: 'search_stopped', reason });
    this.writeInsights();
    const best = tree.best();
    return {
      reason,
      runs: tree.runsSpent(),
      best: best?.result ? { id: best.id, score: best.result.score, testScore: best.result.testScore } : undefined,
      final: finalPick(tree),
    };
  }

  /** Runs this search may spend on exploring: budget.max_runs less the final pick's re-runs. */
  private searchRunLimit(): number | undefined {
    const max = this.budget.max_runs;
    if (max === undefined) return undefined;
    return finalPickApplies(this.settings.final_seeds, max) ? max - finalRuns(this.settings.final_seeds) : max;
  }

  /**
   * Re-runs the top configurations with other seeds (real runs through the executor) until each
   * has final_seeds runs; the recommendation is then the best mean (finalPick). Re-runs left
   * pending by an earlier stop are run first and counted.
   */
  private async runFinalPick(signal: AbortSignal): Promise<void> {
    const exp = this.exp;
    if (!finalPickApplies(this.settings.final_seeds, this.budget.max_runs)) return;
    const finalists = topConfigs(exp.tree, FINALISTS);
    if (finalists.length === 0) return;
    for (const r of seedReruns(exp, finalists, this.settings.final_seeds)) {
      exp.createNode({ ...r, origin: 'proposer', proposer: FINAL_PICK_PROPOSER, by: 'offline' });
    }
    const queue = [...exp.tree.nodes.values()].filter((n) => n.status === 'pending' && n.proposer === FINAL_PICK_PROPOSER && !exp.tree.isPruned(n.id)).map((n) => n.id);
    if (queue.length) this.opts.onNotice?.(`Final pick: ${finalists.join(', ')} re-run with other seeds (${queue.length} run${queue.length === 1 ? '' : 's'}); the recommendation is the best mean over ${this.settings.final_seeds} seeds.`);
    while ((queue.length > 0 || this.running.size > 0) && !signal.aborted) {
      while (queue.length > 0 && this.running.size < this.slots()) this.launch(queue.shift()!, signal);
      await this.waitForChange();
    }
    await Promise.all(this.running.values());
  }

  private slots(): number {
    return Math.max(1, Math.min(this.settings.parallel, this.opts.backend.capacity));
  }

  /** Runs already spent plus those in flight, against the limits. */
  private overBudget(): boolean {
    const tree = this.exp.tree;
    const b = this.budget;
    const maxRuns = this.searchRunLimit();
    if (maxRuns !== undefined && tree.runsSpent() + this.runningTrainingCount() >= maxRuns) return true;
    if (b.max_compute_hours !== undefined && tree.computeMsSpent() >= b.max_compute_hours * 3_600_000) return true;
    if (b.max_llm_cost_usd !== undefined && b.max_llm_cost_usd > 0 && tree.usage.costUsd >= b.max_llm_cost_usd) return true;
    return false;
  }

  private runningTrainingCount(): number {
    return this.running.size;
  }

  private nextPending(): string | null {
    const tree = this.exp.tree;
    for (const n of tree.nodes.values()) {
      if (n.status === 'pending' && !this.running.has(n.id) && !tree.isPruned(n.id)) return n.id;
    }
    return null;
  }

  private launch(id: string, signal: AbortSignal): void {
    const p = this.executor
      .run(id, signal)
      .catch((e: Error): NodeOutcome => {
        this.exp.emit({ type: 'node_failed', id, stage: 'setup', reason: e.message, logTail: '' });
        return 'failed';
      })
      .then((outcome) => {
        if (outcome === 'interrupted') this.exp.emit({ type: 'node_status', id, status: 'pending', reason: 'search stopped; resumes on the next run' });
        else this.writeInsights();
        this.running.delete(id);
        this.poke();
        return outcome;
      });
    this.running.set(id, p);
  }

  /** Selects a node and adds its proposed children. False when nothing can be expanded now. */
  private async expand(signal: AbortSignal): Promise<boolean> {
    const exp = this.exp;
    const tree = exp.tree;
    const policy = this.opts.selection ?? policyByName(this.settings.policy);
    // In approval mode, wait for the user's verdict on the last proposals before proposing more.
    if (this.settings.approval && [...tree.nodes.values()].some((n) => n.status === 'awaiting_approval')) return false;
    for (let tries = 0; tries < 50; tries++) {
      const limit = this.searchRunLimit();
      const remaining = limit !== undefined ? limit - tree.runsSpent() - this.running.size : Infinity;
      const selection = { tree, settings: this.settings, rng: this.rng, isExhausted: (id: string) => this.exhausted.has(id), runsLeft: Number.isFinite(remaining) ? remaining : undefined, runsBudget: limit };
      let selected = policy.select(selection);
      let step: ExpansionStep | undefined;
      if (selected !== null && this.judging()) {
        const choice = await chooseExpansion(exp, policy, selection, this.opts.judge!, signal);
        selected = choice?.id ?? selected;
        step = choice?.step;
      }
      const parentId = selected ?? this.speculativeParent();
      if (!parentId) return false;
      // A running parent has no score or bad cases yet: an LLM would propose blind, so a
      // speculative expansion is the offline proposer's.
      const proposer = selected === null && this.fallback ? this.fallback : this.opts.proposer;
      const k = Math.max(1, Math.min(policy.childrenPerExpansion?.(selection) ?? this.settings.children_per_expansion, remaining));
      const knownHashes = new Set([...tree.nodes.values()].map((n) => n.configHash));
      const ctx = { exp, parentId, k, rng: this.rng, insights: computeInsights(tree, { validationSize: specValidationSize(exp.spec) }), knownHashes, guidance: exp.readText(GUIDANCE_FILE) ?? '', budget: this.budget, signal, step };
      const result = await proposer.propose(ctx);
      if (result.usage && (result.usage.tokens > 0 || result.usage.costUsd > 0)) {
        exp.emit({ type: 'usage', id: parentId, role: 'researcher', tokens: result.usage.tokens, costUsd: result.usage.costUsd });
      }
      for (const d of result.dropped) exp.emit({ type: 'proposal_dropped', parent: parentId, reason: d.reason });
      // A proposal of a configuration already in the tree would only be answered by reuse: never
      // create it (a proposer that repeats itself must not spin the search on free nodes).
      let proposals = this.withoutKnownConfigs(parentId, result.proposals, knownHashes);
      const droppedCount = result.dropped.length + result.proposals.length - proposals.length;
      let proposerName = proposer === this.opts.proposer ? proposer.name : `${proposer.name} (speculative: ${parentId} had no result yet)`;
      if (proposals.length === 0 && droppedCount > 0 && this.fallback && proposer !== this.fallback) {
        // The proposer failed (every reply was dropped after its own retries), which says nothing
        // about the space: this expansion uses the offline proposer, and the node stays open for
        // the primary proposer next time. Only an empty fallback means the node is spent.
        const failures = (this.proposalFailures.get(parentId) ?? 0) + 1;
        this.proposalFailures.set(parentId, failures);
        const fb = await this.fallback.propose(ctx);
        proposals = this.withoutKnownConfigs(parentId, fb.proposals, knownHashes);
        proposerName = `${this.fallback.name} (fallback: ${this.opts.proposer.name} proposals for ${parentId} were dropped ${failures}×)`;
        if (proposals.length > 0) this.opts.onNotice?.(`${this.opts.proposer.name} proposals for ${parentId} were all dropped; used the ${this.fallback.name} proposer for this expansion.`);
      }
      proposals = this.withoutFrozenChanges(parentId, proposals);
      if (proposals.length === 0) {
        this.exhausted.add(parentId);
        continue;
      }
      for (const p of proposals) {
        exp.createNode({
          parent: parentId,
          origin: 'proposer',
          title: p.title,
          plan: p.plan,
          config: p.config,
          changes: p.changes,
          files: p.files,
          status: this.settings.approval ? 'awaiting_approval' : 'pending',
          proposer: proposerName,
          by: defaultSetter('proposer', proposerName),
        });
      }
      return !this.settings.approval;
    }
    return false;
  }

  /** True under llm-uct with a judge; llm-uct without one selects as uct and says so once. */
  private judging(): boolean {
    if (this.settings.policy !== 'llm-uct') return false;
    if (this.opts.judge) return true;
    if (!this.judgeMissingSaid) this.opts.onNotice?.('policy llm-uct needs the LLM Researcher (--proposer llm with an endpoint): selecting by plain UCT.');
    this.judgeMissingSaid = true;
    return false;
  }

  /** Drops (and records) proposals whose configuration is already in the tree, or twice in this batch. */
  private withoutKnownConfigs(parentId: string, proposals: Proposal[], knownHashes: ReadonlySet<string>): Proposal[] {
    const seen = new Set(knownHashes);
    return proposals.filter((p) => {
      const hash = proposalKey(configHash(this.exp.spec, p.config), p.files);
      if (!seen.has(hash)) {
        seen.add(hash);
        return true;
      }
      const twin = [...this.exp.tree.nodes.values()].find((n) => n.configHash === hash);
      this.exp.emit({ type: 'proposal_dropped', parent: parentId, reason: `"${p.title}" has the same configuration as ${twin ? twin.id : 'another proposal of this round'}: identical work is never run twice` });
      return false;
    });
  }

  /** Drops (and records) proposals that change a task-defining path (search.frozen), whoever proposed them. */
  private withoutFrozenChanges(parentId: string, proposals: Proposal[]): Proposal[] {
    const frozen = this.settings.frozen;
    if (frozen.length === 0) return proposals;
    const parent = this.exp.readNodeConfig(parentId);
    return proposals.filter((p) => {
      const touched = frozen.filter((f) => JSON.stringify(getPath(parent, f)) !== JSON.stringify(getPath(p.config, f)));
      if (touched.length === 0) return true;
      this.exp.emit({ type: 'proposal_dropped', parent: parentId, reason: `"${p.title}" changes ${touched.join(', ')}, which search.frozen pins: the task itself must not change` });
      return false;
    });
  }

  /**
   * With slots free and nothing expandable yet (the baseline still running, say), propose the
   * first children of a running node before its result is in, rather than leave slots idle.
   * Only a node's first round is proposed this way; later rounds wait for results.
   */
  private speculativeParent(): string | null {
    if (this.running.size >= this.slots()) return null;
    const tree = this.exp.tree;
    for (const id of this.running.keys()) {
      const n = tree.get(id);
      // Only once its data is prepared, so a broken baseline does not take children down with it.
      const prepared = n.stagesDone.includes('prepare');
      if (prepared && n.children.length === 0 && !this.exhausted.has(id) && !tree.isPruned(id) && n.origin !== 'fork') return id;
    }
    return null;
  }

  private waitForChange(): Promise<void> {
    if (this.poked) {
      this.poked = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      // Re-check now and then even without events (approvals from outside, budget by time).
      const timer = setTimeout(() => done(), 1000);
      const done = () => {
        clearTimeout(timer);
        this.wake = null;
        this.poked = false;
        resolve();
      };
      this.wake = done;
    });
  }

  private writeInsights(): void {
    if (this.opts.writeInsights === false) return;
    const tree = this.exp.tree;
    writeFileSync(join(this.exp.dir, INSIGHTS_FILE), renderInsights(tree, computeInsights(tree, { validationSize: specValidationSize(this.exp.spec) })));
  }
}
