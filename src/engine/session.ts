// One way to start a search, for the CLI and the extension alike: the experiment lock, the compute
// backend, the proposer and the observers that come with it, the slots and threads, and the order
// things close in. The shells only translate their inputs (flags; settings and SecretStorage) and
// show progress.
import { cpus } from 'node:os';
import type { Backend } from './backends/backend';
import { createBackend } from './backends/factory';
import type { Experiment } from './experiment';
import { selectProposer, type LlmOverrides } from './llm';
import { ExperimentLock } from './lock';
import type { Proposer } from './proposers/proposer';
import type { StageProgress } from './executor/progress';
import { Search, type SearchSummary } from './search/runner';
import { openTracking, type TrackingObserver, type TrackingOverrides } from './tracking';
import { searchSettings, type Budget, type PolicyName, type TaskSpec } from './spec/types';

export type ProposerKind = 'llm' | 'offline';

export interface SearchSessionRequest {
  /** The backend the user picked (CLI --backend, setting trex.compute.backend); else trex.yaml's compute.backend; else local. */
  backend?: string;
  /** The user's compute overrides (settings trex.compute.python / remoteWorkDir). */
  compute?: { python?: string; remote_dir?: string };
  /** Parallel slots the user asked for; else the task's search.parallel. */
  parallel?: number;
  /** The proposer the user asked for; see {@link chooseProposer} for the default. */
  proposer?: ProposerKind;
  env: NodeJS.ProcessEnv;
  /** LLM key and settings from the user's editor (SecretStorage, settings), and folder consent. */
  llm?: LlmOverrides;
  policy?: PolicyName;
  seed?: number;
  budget?: Budget;
  /** Keep waiting for approvals instead of returning (an editor); the CLI returns. */
  waitForApproval?: boolean;
  /** Check the backend (Python, PyTorch, disk) before returning. */
  preflight?: boolean;
  acceptNewHost?: boolean;
  confirmNewHost?: (host: string, fingerprint: string) => Promise<boolean>;
  /** Takes the experiment's lock and returns its release; default: the lock file itself. */
  acquireLock?: () => () => void;
  onProgress?: (p: StageProgress) => void;
  onNotice?: (message: string) => void;
  /** Aborts the proposer's background work (research, analysis) when the shell quits. */
  signal?: AbortSignal;
  /** The user's tracker settings (trex.tracking.*), over trex.yaml's `tracking:`. */
  tracking?: TrackingOverrides;
}

/** Who writes insights.md after each result: the engine's computed summary or the LLM distiller. */
export type InsightsWriter = 'computed' | 'llm-distiller';

export interface SearchSession {
  readonly exp: Experiment;
  readonly search: Search;
  readonly backend: Backend;
  readonly proposer: Proposer;
  readonly proposerKind: ProposerKind;
  /** Which proposer runs, or why the offline one does. */
  readonly proposerNotice: string;
  readonly insightsWriter: InsightsWriter;
  readonly slots: number;
  readonly threads: number;
  /** The experiment trackers finished nodes are logged to, when any is configured. */
  readonly tracking?: TrackingObserver;
  run(signal: AbortSignal): Promise<SearchSummary>;
  /** Closes the trackers (logging what finished), the proposer's agents, then the backend, then releases the lock. Idempotent. */
  close(): Promise<void>;
}

/**
 * The proposer a search uses: what the user asked for, else trex.yaml's `proposer`, else the LLM
 * Researcher when the user gave TREX a key of its own (the editor's stored key, TREX_LLM_API_KEY),
 * else offline. A generic OPENAI_API_KEY in the environment is used once the LLM is asked for, but
 * does not switch it on by itself: it may belong to another tool, and the LLM costs money.
 */
export function chooseProposer(spec: TaskSpec, requested: ProposerKind | undefined, env: NodeJS.ProcessEnv, llm?: LlmOverrides): ProposerKind {
  if (requested) return requested;
  if (spec.proposer) return spec.proposer;
  return llm?.apiKey || env.TREX_LLM_API_KEY ? 'llm' : 'offline';
}

/** The backend name a search uses: the user's pick, else trex.yaml's, else local. */
export function chooseBackend(spec: TaskSpec, requested: string | undefined): string {
  return requested || spec.compute?.backend || 'local';
}

/** The task spec with the user's compute overrides applied. */
export function withComputeOverrides(spec: TaskSpec, compute: SearchSessionRequest['compute']): TaskSpec {
  if (!compute?.python && !compute?.remote_dir) return spec;
  return { ...spec, compute: { ...(spec.compute ?? {}), ...(compute.python ? { python: compute.python } : {}), ...(compute.remote_dir ? { remote_dir: compute.remote_dir } : {}) } };
}

/** CPU threads per training process: the cores shared among the parallel slots. */
export function threadsPerSlot(slots: number): number {
  return Math.max(1, Math.floor(cpus().length / Math.max(1, slots)));
}

export async function openSearchSession(exp: Experiment, req: SearchSessionRequest): Promise<SearchSession> {
  const release = (req.acquireLock ?? lockFile(exp.dir))();
  const closers: (() => Promise<void> | void)[] = [release];
  const closeAll = async () => {
    while (closers.length) await closers.pop()!();
  };
  try {
    const slots = req.parallel !== undefined && req.parallel > 0 ? req.parallel : searchSettings(exp.spec).parallel;
    const spec = withComputeOverrides(exp.spec, req.compute);
    const backend = await createBackend({ name: chooseBackend(exp.spec, req.backend), experimentDir: exp.dir, spec, parallel: slots, acceptNewHost: req.acceptNewHost, confirmNewHost: req.confirmNewHost });
    closers.push(() => backend.close());
    if (req.preflight) await backend.preflight();
    const proposerKind = chooseProposer(exp.spec, req.proposer, req.env, req.llm);
    const choice = selectProposer(exp, { requested: proposerKind, env: req.env, overrides: req.llm, backend, signal: req.signal, onNotice: req.onNotice });
    if (choice.llm) closers.push(() => choice.llm!.close());
    // The LLM agents distill insights.md themselves; the computed summary would overwrite it.
    const insightsWriter: InsightsWriter = choice.llm ? 'llm-distiller' : 'computed';
    const threads = threadsPerSlot(slots);
    const search = new Search(exp, {
      backend,
      proposer: choice.proposer,
      judge: choice.llm?.judge,
      onNotice: req.onNotice,
      writeInsights: insightsWriter === 'computed',
      waitForApproval: req.waitForApproval,
      policy: req.policy,
      parallel: slots,
      seed: req.seed,
      budget: req.budget,
      threads,
      onProgress: req.onProgress,
    });
    // Closed first: it logs what the search finished before the backend and the lock go.
    const tracking = openTracking(exp, { policy: search.settings.policy, env: req.env, overrides: req.tracking, onNotice: req.onNotice });
    if (tracking) closers.push(() => tracking.close());
    let closed: Promise<void> | undefined;
    return {
      exp,
      search,
      backend,
      proposer: choice.proposer,
      proposerKind: choice.llm ? 'llm' : 'offline',
      proposerNotice: choice.notice,
      insightsWriter,
      slots,
      threads,
      tracking,
      run: (signal) => search.run(signal),
      close: () => (closed ??= closeAll()),
    };
  } catch (e) {
    await closeAll().catch(() => undefined);
    throw e;
  }
}

function lockFile(dir: string): () => () => void {
  return () => {
    const lock = new ExperimentLock(dir);
    lock.acquire();
    return () => lock.release();
  };
}
