// Runs one node through its three stages (prepare data → train → evaluate) on a backend, with
// reuse of history: identical configs are never run twice, prepared data is shared by recipe
// hash, and a child that only trains longer warm-starts from its parent's checkpoint (the rule and
// what each framework can continue: frameworks/warmStart.ts).
import { appendFileSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Backend, StageJob } from '../backends/backend';
import { dataCacheKey } from '../dataFiles';
import { configHash, recipeHash, normalizeTrain, type Experiment } from '../experiment';
import { diffConfigs, type NodeConfig } from '../spec/configPaths';
import type { EarlyStoppingSettings, JsonObject, ReuseSettings } from '../spec/types';
import { formatProblem, SpecError } from '../spec/validate';
import type { NodeResult, StageName } from '../tree/events';
import type { TreeNode } from '../tree/tree';
import { planNodeStages, resolveTrain, warmStartFile, warmStartTail, type WarmStartTail } from '../frameworks';
import { LogMask } from './logMask';
import { RunFolderSeal } from './runFolderSeal';
import { fileSha256, readMetrics } from './metrics';
import { trainerDataPolicy } from '../dataPolicy';
import { LineSplitter, parseProgressLine, renderProgressLines, type StageProgress } from './progress';
import { sleep } from '../util/sleep';
import { RungMonitor, type StopDecision } from './rungMonitor';

export interface ExecutorOptions {
  reuse: ReuseSettings;
  /** CPU threads each training process may use. */
  threads: number;
  pollMs?: number;
  onProgress?: (p: StageProgress) => void;
  /** Extra environment for every stage (never secrets). */
  env?: Record<string, string>;
  /** Wall-clock limit of one stage (ms); default: trex.yaml `compute.stage_timeout_minutes`, else 24 h. */
  stageTimeoutMs?: number;
  /** search.early_stopping: training nodes below a rung's threshold are stopped (rungMonitor.ts). */
  earlyStopping?: EarlyStoppingSettings;
}

/** A stage that runs longer than this (and no limit was set) is stopped and its node fails. */
export const DEFAULT_STAGE_TIMEOUT_MS = 24 * 3600_000;
/** Polls in a row that find no job (its run folder gone) before the stage is given up. */
const MISSING_POLLS = 3;

export type NodeOutcome = 'succeeded' | 'failed' | 'interrupted' | 'stopped';

interface StageRun {
  exitCode: number;
  wallMs: number;
  reason?: string;
  /** The rung monitor stopped the job (train stage). */
  stopped?: StopDecision;
}

class Interrupted extends Error {}

const LOG_CHUNK = 1 << 20;
const TAIL_LINES = 30;

export class NodeExecutor {
  private preparing = new Map<string, Promise<void>>();
  private readonly rungs: RungMonitor | undefined;

  constructor(
    private readonly exp: Experiment,
    private readonly backend: Backend,
    private readonly opts: ExecutorOptions,
  ) {
    this.rungs = opts.earlyStopping?.enabled ? new RungMonitor(exp, opts.earlyStopping) : undefined;
  }

  async run(id: string, signal: AbortSignal): Promise<NodeOutcome> {
    const exp = this.exp;
    const node = exp.tree.get(id);
    const attaching = node.status === 'running';
    const t0 = Date.now();
    if (!attaching) {
      rmSync(exp.nodePath(id, 'logs'), { recursive: true, force: true });
      rmSync(exp.nodePath(id, 'run'), { recursive: true, force: true });
      for (const f of ['metrics.json', 'predictions.jsonl', 'data_stats.json']) rmSync(exp.nodePath(id, f), { force: true });
      exp.emit({ type: 'node_status', id, status: 'running', stage: 'prepare' });
    }

    let config: NodeConfig;
    try {
      config = exp.readNodeConfig(id);
    } catch (e) {
      const reason = e instanceof SpecError ? e.problems.map(formatProblem).join('\n') : (e as Error).message;
      exp.emit({ type: 'node_failed', id, stage: 'setup', reason, logTail: '' });
      return 'failed';
    }
    const cHash = configHash(exp.spec, config);
    const rHash = recipeHash(exp.spec, config.recipe);
    if (cHash !== node.configHash || rHash !== node.recipeHash) {
      exp.emit({ type: 'node_edited', id, file: 'recipe.yaml/train.yaml', configHash: cHash, recipeHash: rHash });
    }

    // The prepared data's identity: the recipe and the content of every local file it reads.
    const dataKey = dataCacheKey(exp.dir, exp.spec, config.recipe, rHash);
    if (this.opts.reuse.dedupe) {
      const reused = await this.reuseIdentical(node, dataKey, signal);
      if (reused === 'interrupted') return 'interrupted';
      if (reused) return 'succeeded';
    }

    try {
      const runDir = `nodes/${id}/run`;
      mkdirSync(join(exp.dir, runDir), { recursive: true });
      const taskJson: JsonObject = {
        name: exp.spec.name,
        base_model: exp.spec.base_model,
        task: exp.spec.task as JsonObject,
        metric: exp.spec.metric,
        evaluation: exp.spec.evaluation,
      };
      const warm = this.opts.reuse.warm_start ? await this.warmStartSource(node, config, dataKey) : undefined;
      const train = resolveTrain(config.train);
      if (warm) train[warm.tail.key] = warm.tail.extra;
      // Rungs need evaluations during training: at min_steps' multiples unless the config sets its own.
      if (this.rungs && train.eval_steps === null) train.eval_steps = this.opts.earlyStopping!.min_steps;
      const resumeStep = node.resumeStep;
      const seal = new RunFolderSeal(exp.dir);
      seal.write([
        { path: `${runDir}/task.json`, content: JSON.stringify(taskJson, null, 2) },
        { path: `${runDir}/recipe.json`, content: JSON.stringify(config.recipe, null, 2) },
      ]);

      let computeMs = 0;
      let savedMs = 0;
      // The cache key covers the content of the files and scripts the recipe reads, not only the recipe.
      const dataDir = this.opts.reuse.data_cache ? `cache/data/${dataKey}` : `nodes/${id}/data`;
      // Stage commands per train.yaml `framework`; a config that cannot run fails here, in setup.
      // The runner re-checks every file source against this on the training machine.
      const dataEnv = { TREX_DATA_POLICY: JSON.stringify(trainerDataPolicy(exp.spec, config.recipe, exp.tree.ancestry(id).flatMap((n) => n.changes))) };
      const stages = planNodeStages({ nodeId: id, runDir, dataDir, spec: exp.spec, recipe: config.recipe, train, warmFrom: warm?.parent, resumeStep });
      seal.write(stages.files);

      // 1. Prepare data (or reuse the cached copy made by any node with the same recipe).
      const cachedPrep = this.opts.reuse.data_cache && (await this.dataReady(dataKey, dataDir));
      let dataCacheHit = false;
      if (cachedPrep && !node.stagesDone.includes('prepare')) {
        dataCacheHit = true;
        savedMs += this.originalPrepareMs(rHash, id);
        exp.emit({ type: 'stage_finished', id, stage: 'prepare', exitCode: 0, wallMs: 0, cached: true });
      } else if (!node.stagesDone.includes('prepare')) {
        const prep = this.runStage(id, 'prepare', {
          runDir: `${runDir}/prepare`,
          argv: stages.prepare.argv,
          env: { ...this.env(), ...dataEnv, ...stages.prepare.env },
          inputs: stages.prepare.inputs,
          outputs: stages.prepare.outputs,
          label: `${id} prepare`,
        }, signal, seal);
        if (this.opts.reuse.data_cache) this.preparing.set(dataKey, prep.then(() => undefined, () => undefined));
        const r = await prep.finally(() => this.preparing.delete(dataKey));
        computeMs += r.wallMs;
        if (r.exitCode !== 0) return this.fail(id, 'prepare', r.exitCode, computeMs, t0, r.reason);
      }
      const statsLocal = join(exp.dir, dataDir, 'stats.json');
      if (existsSync(statsLocal)) copyFileSync(statsLocal, exp.nodePath(id, 'data_stats.json'));

      // 2. Train (continuing the parent's checkpoint when the plan says it warm-starts).
      if (!node.stagesDone.includes('train')) {
        exp.emit({ type: 'node_status', id, status: 'running', stage: 'train' });
        const r = await this.runStage(id, 'train', {
          runDir: `${runDir}/train`,
          argv: stages.train.argv,
          env: { ...this.env(), ...dataEnv, ...stages.train.env },
          inputs: stages.train.inputs,
          outputs: stages.train.outputs,
          label: `${id} train`,
        }, signal, seal);
        computeMs += r.wallMs;
        if (r.stopped) {
          exp.emit({ type: 'node_stopped_early', id, ...r.stopped, computeMs });
          return 'stopped';
        }
        if (r.exitCode !== 0) return this.fail(id, 'train', r.exitCode, computeMs, t0, r.reason);
      }
      if (warm) savedMs += warm.savedMs;

      // 3. Evaluate on the task's fixed validation and test sets.
      if (!node.stagesDone.includes('evaluate')) {
        // Whatever is there before evaluate runs was written by something else: the stage writes its own.
        rmSync(exp.nodePath(id, 'metrics.json'), { force: true });
        exp.emit({ type: 'node_status', id, status: 'running', stage: 'evaluate' });
        const r = await this.runStage(id, 'evaluate', {
          runDir: `${runDir}/evaluate`,
          argv: stages.evaluate.argv,
          env: { ...this.env(), ...dataEnv, ...stages.evaluate.env },
          inputs: stages.evaluate.inputs,
          outputs: stages.evaluate.outputs,
          label: `${id} evaluate`,
        }, signal, seal);
        computeMs += r.wallMs;
        if (r.exitCode !== 0) return this.fail(id, 'evaluate', r.exitCode, computeMs, t0, r.reason);
      }

      let parsed;
      try {
        parsed = readMetrics(exp.nodePath(id, 'metrics.json'), exp.spec.metric.name, exp.tree.get(id).metricsSha256);
      } catch (e) {
        exp.emit({ type: 'node_failed', id, stage: 'evaluate', reason: (e as Error).message, logTail: '', computeMs, wallMs: Date.now() - t0 });
        return 'failed';
      }
      // After a resume, stages that ran before the interruption count too.
      const n = exp.tree.get(id);
      computeMs = Math.max(computeMs, (n.stageMs.prepare ?? 0) + (n.stageMs.train ?? 0) + (n.stageMs.evaluate ?? 0));
      const result: NodeResult = {
        score: parsed.score,
        testScore: parsed.testScore,
        metrics: parsed.raw,
        wallMs: Date.now() - t0,
        computeMs,
        savedMs,
        dataCacheHit,
        dataKey,
        warmStartFrom: stages.warmStart?.from,
        ...(resumeStep !== undefined ? { resumedFromStep: resumeStep } : {}),
      };
      exp.emit({ type: 'node_result', id, result });
      return 'succeeded';
    } catch (e) {
      if (e instanceof Interrupted) return 'interrupted';
      exp.emit({ type: 'node_failed', id, stage: 'setup', reason: (e as Error).message, logTail: '', wallMs: Date.now() - t0 });
      return 'failed';
    }
  }

  private env(): Record<string, string> {
    const t = String(this.opts.threads);
    return { PYTHONUNBUFFERED: '1', TREX_THREADS: t, OMP_NUM_THREADS: t, ...(this.opts.env ?? {}) };
  }

  private fail(id: string, stage: StageName, exitCode: number, computeMs: number, t0: number, why?: string): NodeOutcome {
    const tail = this.logTail(id, stage);
    const lastLine = tail.split('\n').filter((l) => l.trim()).pop() ?? '';
    const reason = why ?? (exitCode === -1 ? 'the job was lost (killed without an exit code)' : `exit code ${exitCode}${lastLine ? `: ${lastLine.slice(0, 300)}` : ''}`);
    this.exp.emit({ type: 'node_failed', id, stage, reason, logTail: tail, computeMs, wallMs: Date.now() - t0 });
    return 'failed';
  }

  logPath(id: string, stage: StageName): string {
    return this.exp.nodePath(id, 'logs', `${stage}.log`);
  }

  private logTail(id: string, stage: StageName): string {
    try {
      const text = readFileSync(this.logPath(id, stage), 'utf8');
      return renderProgressLines(text.split('\n').slice(-TAIL_LINES).join('\n'));
    } catch {
      return '';
    }
  }

  /** Runs (or re-attaches to) one stage job, streaming its log into nodes/<id>/logs/<stage>.log. */
  private stageTimeoutMs(): number {
    if (this.opts.stageTimeoutMs !== undefined) return this.opts.stageTimeoutMs;
    const minutes = this.exp.spec.compute?.stage_timeout_minutes;
    return typeof minutes === 'number' && Number.isFinite(minutes) && minutes > 0 ? minutes * 60_000 : DEFAULT_STAGE_TIMEOUT_MS;
  }

  private async runStage(id: string, stage: StageName, job: StageJob, signal: AbortSignal, seal: RunFolderSeal): Promise<StageRun> {
    const logFile = this.logPath(id, stage);
    mkdirSync(join(logFile, '..'), { recursive: true });
    let status = await this.backend.poll(job);
    if (status.state === 'lost') {
      await this.backend.reset(job);
      status = { state: 'none' };
    }
    if (status.state === 'none') {
      // A stage runs only on the run folder exactly as the engine rendered it.
      const tampered = seal.problem();
      if (tampered) return { exitCode: -1, wallMs: 0, reason: tampered };
      writeFileSync(logFile, '');
      await this.backend.start(job);
    } else if (!existsSync(logFile)) {
      writeFileSync(logFile, '');
    }
    // Resume from what we already have locally: no lost and no duplicated bytes.
    let offset = statSync(logFile).size;
    const splitter = new LineSplitter();
    const progress: StageProgress = { nodeId: id, stage, startedAtMs: Date.now(), where: status.where };
    const pollMs = this.opts.pollMs ?? this.backend.pollIntervalMs ?? 50;
    // Secrets are masked in the copy (same length, so `offset` also counts what a resume re-reads).
    const logMask = new LogMask();
    // Decided on the evaluations the log holds, whenever they are read: a job that already ended
    // is stopped at the same rung as one still running, so the outcome does not depend on speed.
    let stopped: StopDecision | undefined;
    const write = (bytes: Buffer) => {
      if (bytes.length === 0) return;
      appendFileSync(logFile, bytes);
      for (const line of splitter.push(bytes.toString('utf8'))) {
        const p = parseProgressLine(line);
        if (p) {
          Object.assign(progress, p);
          this.opts.onProgress?.({ ...progress });
          if (stage === 'train' && !stopped && this.rungs && p.step !== undefined && p.evalMetric !== undefined && p.evalValue !== undefined) {
            stopped = this.rungs.observe(id, p.step, p.evalMetric, p.evalValue) ?? undefined;
          }
        }
      }
    };
    const drain = async () => {
      for (;;) {
        const chunk = await this.backend.readLog(job, offset, LOG_CHUNK);
        if (chunk.length === 0) return;
        offset += chunk.length;
        write(logMask.push(chunk));
        if (chunk.length < LOG_CHUNK) return;
      }
    };
    const drainAll = async () => {
      await drain();
      write(logMask.flush());
    };
    this.opts.onProgress?.({ ...progress });
    const limitMs = this.stageTimeoutMs();
    let missing = 0;
    let gaveUp: string | undefined;
    // The limit counts from when the job actually runs (time queued on SLURM does not count).
    let runningSince: number | undefined;
    for (;;) {
      if (signal.aborted) {
        await this.backend.cancel(job);
        await drainAll().catch(() => undefined);
        throw new Interrupted();
      }
      await drain().catch((e: unknown) => {
        if (existsSync(this.exp.nodeDir(id))) throw e;
      });
      if (stopped) {
        await this.backend.cancel(job).catch(() => undefined);
        // The backend's own start and end times, when it has them, measure what the stopped run cost.
        status = await this.backend.poll(job).catch(() => status);
        break;
      }
      status = await this.backend.poll(job);
      if (status.where) progress.where = status.where;
      if (status.state === 'exited' || status.state === 'lost') break;
      // A job that was started and is now nowhere (its run folder deleted) never comes back: fail, don't wait.
      missing = status.state === 'none' ? missing + 1 : 0;
      // Local clock only: a remote host's clock may be skewed.
      if (status.state === 'running' && runningSince === undefined) runningSince = Date.now();
      if (missing >= MISSING_POLLS) gaveUp = `the stage's run folder (${job.runDir}) disappeared while it ran`;
      else if (!existsSync(this.exp.nodeDir(id))) gaveUp = `the node folder nodes/${id} was deleted while the stage ran`;
      else if (runningSince !== undefined && Date.now() - runningSince > limitMs) gaveUp = `the stage ran longer than its wall-clock limit of ${formatMs(limitMs)} (compute.stage_timeout_minutes)`;
      if (gaveUp) {
        await this.backend.cancel(job).catch(() => undefined);
        break;
      }
      await sleep(pollMs, signal);
    }
    const stageMs = status.startedAtMs && status.finishedAtMs ? Math.max(0, status.finishedAtMs - status.startedAtMs) : Date.now() - progress.startedAtMs;
    // One-time shared work (the base model built on first use) is not this node's compute.
    const wallMs = Math.max(0, stageMs - Math.round((progress.setupSeconds ?? 0) * 1000));
    if (gaveUp) {
      await drainAll().catch(() => undefined);
      this.exp.emit({ type: 'stage_finished', id, stage, exitCode: -1, wallMs, host: status.where });
      return { exitCode: -1, wallMs, reason: gaveUp };
    }
    await drainAll();
    if (stopped) return { exitCode: -1, wallMs, stopped };
    await this.backend.fetchResults(job);
    const exitCode = status.state === 'exited' ? (status.exitCode ?? -1) : -1;
    // Provenance of the result: the metrics exactly as the evaluate stage left them.
    const metricsSha256 = stage === 'evaluate' && exitCode === 0 ? fileSha256(this.exp.nodePath(id, 'metrics.json')) : undefined;
    this.exp.emit({ type: 'stage_finished', id, stage, exitCode, wallMs, host: status.where, ...(metricsSha256 ? { metricsSha256 } : {}) });
    return { exitCode, wallMs };
  }

  /** A config that already ran is not run again: its result is copied and the node says so. */
  private async reuseIdentical(node: TreeNode, dataKey: string, signal: AbortSignal): Promise<boolean | 'interrupted'> {
    const tree = this.exp.tree;
    // Wait only for an older twin that is running, so two identical nodes never wait on each other.
    const twin = () =>
      [...tree.nodes.values()].find(
        (n) => n.id !== node.id && n.configHash === node.configHash && (n.status === 'succeeded' || (n.status === 'running' && n.id < node.id)),
      );
    let other = twin();
    while (other && other.status === 'running') {
      if (signal.aborted) return 'interrupted';
      await sleep(this.opts.pollMs ?? this.backend.pollIntervalMs ?? 50, signal);
      other = twin();
    }
    if (!other || other.status !== 'succeeded' || !other.result) return false;
    const origin = other.result.reusedFrom ? tree.get(other.result.reusedFrom) : other;
    const src = origin.result!;
    // Same config on different data (a data file or script changed since) is not the same work.
    // Results recorded before data keys existed carry none and are taken as they were.
    if (src.dataKey !== undefined && src.dataKey !== dataKey) return false;
    for (const f of ['metrics.json', 'data_stats.json']) {
      const from = this.exp.nodePath(origin.id, f);
      if (existsSync(from)) copyFileSync(from, this.exp.nodePath(node.id, f));
    }
    this.exp.emit({
      type: 'node_result',
      id: node.id,
      result: { score: src.score, testScore: src.testScore, metrics: src.metrics, wallMs: 0, computeMs: 0, savedMs: src.computeMs + src.savedMs, reusedFrom: origin.id, ...(src.dataKey ? { dataKey: src.dataKey } : {}) },
    });
    return true;
  }

  private async dataReady(dataKey: string, dataDir: string): Promise<boolean> {
    const inFlight = this.preparing.get(dataKey);
    if (inFlight) await inFlight;
    return this.backend.exists(`${dataDir}/stats.json`);
  }

  /** What preparing this recipe cost the node that actually did it. */
  private originalPrepareMs(rHash: string, except: string): number {
    for (const n of this.exp.tree.nodes.values()) {
      if (n.id !== except && n.recipeHash === rHash && n.stageMs.prepare) return n.stageMs.prepare;
    }
    return 0;
  }

  private async warmStartSource(node: TreeNode, config: NodeConfig, dataKey: string): Promise<{ parent: string; tail: WarmStartTail; savedMs: number } | undefined> {
    if (!node.parent) return undefined;
    const parent = this.exp.tree.get(node.parent);
    if (parent.status !== 'succeeded' || !parent.result || parent.result.reusedFrom || parent.recipeHash !== node.recipeHash) return undefined;
    // The parent must have trained on the same data (not on an older version of a file or script).
    if (parent.result.dataKey !== undefined && parent.result.dataKey !== dataKey) return undefined;
    let parentConfig: NodeConfig;
    try {
      parentConfig = this.exp.readNodeConfig(parent.id);
    } catch {
      return undefined;
    }
    const train = normalizeTrain(config.train);
    const tail = warmStartTail(diffConfigs({ recipe: parentConfig.recipe, train: normalizeTrain(parentConfig.train) }, { recipe: config.recipe, train }), train);
    // The framework says which checkpoint file a child with this config can continue, if any.
    const file = warmStartFile(train);
    if (!tail || !file || !(await this.backend.exists(`nodes/${parent.id}/ckpt/${file}`))) return undefined;
    return { parent: parent.id, tail, savedMs: parent.stageMs.train ?? 0 };
  }
}

function formatMs(ms: number): string {
  return ms >= 3600_000 ? `${+(ms / 3600_000).toFixed(2)} h` : ms >= 60_000 ? `${+(ms / 60_000).toFixed(2)} min` : `${+(ms / 1000).toFixed(1)} s`;
}
