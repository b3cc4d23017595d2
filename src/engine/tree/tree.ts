// In-memory experiment tree, built by folding the event log. Views and the search read this;
// nothing mutates it except apply().
import { isPlainObject } from '../util/isPlainObject';
import { EVENT_TYPES, NODE_ORIGINS, NODE_STATUSES, STAGES, STEP_KINDS } from './events';
import { isFieldSetter } from './provenance';
import type { EarlyStop, EdgeChange, NodeOrigin, NodeResult, NodeStatus, RungValue, StageName, StepKind, TreeEvent } from './events';

/** Every node id the engine creates (forks included) is `n` and digits; anything else is hostile. */
export const NODE_ID_RE = /^n\d{1,12}$/;
export function isNodeId(id: unknown): id is string {
  return typeof id === 'string' && NODE_ID_RE.test(id);
}

const STATUSES = new Set<string>(NODE_STATUSES);
const ORIGINS = new Set<string>(NODE_ORIGINS);
const TYPES = new Set<string>(EVENT_TYPES);
const isObj = isPlainObject;
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isStr = (v: unknown): v is string => typeof v === 'string';
const optNum = (v: unknown) => v === undefined || isNum(v);
const optStr = (v: unknown) => v === undefined || isStr(v);

export interface TreeNode {
  id: string;
  parent: string | null;
  children: string[];
  origin: NodeOrigin;
  title: string;
  changes: EdgeChange[];
  configHash: string;
  recipeHash: string;
  status: NodeStatus;
  stage?: StageName;
  result?: NodeResult;
  failure?: { stage: string; reason: string; logTail: string; computeMs: number };
  pruned: boolean;
  edited: boolean;
  createdAt: number;
  updatedAt: number;
  depth: number;
  proposer?: string;
  stagesDone: StageName[];
  /** Wall time of each stage that ran (not cached), for savings accounting. */
  stageMs: Partial<Record<StageName, number>>;
  /** Where the node last ran (host or job id). */
  where?: string;
  /** sha256 of metrics.json as the evaluate stage left it: the only metrics the engine trusts. */
  metricsSha256?: string;
  /** Each time llm-uct chose this node for expansion: the kind of step and the reason. */
  expansions?: { kind?: StepKind; reason: string; fallback: boolean; shortlist: string[]; t: number }[];
  /** The metric at each rung this run reached (search.early_stopping). */
  rungs: RungValue[];
  /** Set when the run was stopped early; kept (as history) when it is resumed. */
  earlyStop?: EarlyStop & { reason: string };
  /** Set while a resumed node waits to continue training from its checkpoint at this step. */
  resumeStep?: number;
}

export class ExperimentTree {
  readonly nodes = new Map<string, TreeNode>();
  root: string | null = null;
  metric = '';
  goal: 'maximize' | 'minimize' = 'maximize';
  /** Tokens and cost not tied to a node (requirement analysis, research). */
  usage = { tokens: 0, costUsd: 0 };
  lastSeq = -1;
  droppedProposals: { parent: string; reason: string }[] = [];

  /**
   * Folds events read from disk. Each is checked first (see check()); a bad one is skipped and
   * reported through onBad with its index, never applied.
   */
  static fromEvents(events: Iterable<unknown>, onBad?: (index: number, reason: string) => void): ExperimentTree {
    const tree = new ExperimentTree();
    let i = 0;
    for (const e of events) {
      const problem = tree.check(e);
      if (problem === null) tree.apply(e as TreeEvent);
      else onBad?.(i, problem);
      i++;
    }
    return tree;
  }

  /**
   * Why an event from the log cannot be applied to this tree, or null if it can. Ids must be node
   * ids, a new node's parent must already exist (so the graph stays a tree: no self-parent, no
   * cycle), a node is created once, and numbers are finite numbers.
   */
  check(e: unknown): string | null {
    if (!isObj(e)) return 'not an event object';
    if (!isStr(e.type) || !TYPES.has(e.type)) return `unknown event type ${JSON.stringify(e.type)}`;
    if (!Number.isSafeInteger(e.seq) || (e.seq as number) < 0) return 'seq is not a non-negative integer';
    if (!isNum(e.t)) return 't is not a number';
    const needNode = (): string | null => {
      if (!isNodeId(e.id)) return `invalid node id ${JSON.stringify(e.id)}`;
      if (!this.nodes.has(e.id)) return `unknown node ${e.id}`;
      return null;
    };
    const changesOk = (c: unknown) => Array.isArray(c) && c.every((x) => isObj(x) && isStr(x.path) && (x.by === undefined || isFieldSetter(x.by)));
    switch (e.type) {
      case 'experiment_created':
        if (!isStr(e.metric) || (e.goal !== 'maximize' && e.goal !== 'minimize')) return 'experiment_created needs a metric and a goal';
        return null;
      case 'node_created':
        if (!isNodeId(e.id)) return `invalid node id ${JSON.stringify(e.id)}`;
        if (this.nodes.has(e.id)) return `node ${e.id} created twice`;
        if (e.parent !== null) {
          if (!isNodeId(e.parent)) return `invalid parent id ${JSON.stringify(e.parent)}`;
          if (!this.nodes.has(e.parent)) return `parent ${e.parent} of ${e.id} does not exist (yet)`;
        }
        if (!isStr(e.origin) || !ORIGINS.has(e.origin)) return `invalid origin ${JSON.stringify(e.origin)}`;
        if (!isStr(e.status) || !STATUSES.has(e.status)) return `invalid status ${JSON.stringify(e.status)}`;
        if (!isStr(e.title) || !isStr(e.configHash) || !isStr(e.recipeHash) || !optStr(e.proposer)) return 'node_created has a field of the wrong type';
        if (!changesOk(e.changes)) return 'changes is not a list of {path, from, to, by?} (by: user, offline, researcher or executor)';
        return null;
      case 'node_status':
        if (!isStr(e.status) || !STATUSES.has(e.status)) return `invalid status ${JSON.stringify(e.status)}`;
        if (e.stage !== undefined && !STAGES.includes(e.stage as StageName)) return `invalid stage ${JSON.stringify(e.stage)}`;
        return needNode();
      case 'stage_finished':
        if (!STAGES.includes(e.stage as StageName)) return `invalid stage ${JSON.stringify(e.stage)}`;
        if (!isNum(e.exitCode) || !isNum(e.wallMs) || !optStr(e.host)) return 'stage_finished has a field of the wrong type';
        if (e.metricsSha256 !== undefined && !(e.stage === 'evaluate' && isStr(e.metricsSha256) && /^[0-9a-f]{64}$/.test(e.metricsSha256))) return 'metricsSha256 must be a sha256 on an evaluate stage';
        return needNode();
      case 'node_result': {
        const r = e.result;
        if (!isObj(r) || !isNum(r.score) || !optNum(r.testScore) || !isObj(r.metrics)) return 'node_result needs a numeric score and metrics';
        for (const k of ['wallMs', 'computeMs', 'savedMs', 'tokens', 'costUsd']) if (!optNum(r[k])) return `result.${k} is not a number`;
        for (const k of ['reusedFrom', 'warmStartFrom']) if (r[k] !== undefined && !isNodeId(r[k])) return `result.${k} is not a node id`;
        if (r.dataKey !== undefined && !(isStr(r.dataKey) && /^[0-9a-f]{8,64}$/.test(r.dataKey))) return 'result.dataKey is not a hash';
        return needNode();
      }
      case 'node_failed':
        if (!isStr(e.stage) || !optStr(e.reason) || !optStr(e.logTail) || !optNum(e.computeMs) || !optNum(e.wallMs)) return 'node_failed has a field of the wrong type';
        return needNode();
      case 'node_pruned':
        if (typeof e.pruned !== 'boolean') return 'pruned is not a boolean';
        return needNode();
      case 'node_rung':
      case 'node_stopped_early':
        if (!isNum(e.rung) || !isNum(e.step) || !isStr(e.metric) || !isNum(e.value)) return `${e.type} needs a numeric rung, step and value and a metric name`;
        if (e.type === 'node_stopped_early' && (!isNum(e.threshold) || !isNum(e.of) || !isNum(e.computeMs) || !isStr(e.reason))) return 'node_stopped_early has a field of the wrong type';
        return needNode();
      case 'node_resumed':
        if (!isNum(e.step) || !isFieldSetter(e.by)) return 'node_resumed needs a numeric step and who resumed it';
        return needNode();
      case 'node_edited':
        if (!isStr(e.configHash) || !isStr(e.recipeHash) || (e.changes !== undefined && !changesOk(e.changes)) || (e.by !== undefined && !isFieldSetter(e.by))) return 'node_edited has a field of the wrong type';
        return needNode();
      case 'proposal_dropped':
        if (!isStr(e.parent) || !isStr(e.reason)) return 'proposal_dropped has a field of the wrong type';
        return null;
      case 'expansion_chosen':
        if (!isStr(e.reason) || typeof e.fallback !== 'boolean' || !Array.isArray(e.shortlist) || !e.shortlist.every(isNodeId)) return 'expansion_chosen has a field of the wrong type';
        if (e.kind !== undefined && !STEP_KINDS.includes(e.kind as StepKind)) return `invalid step kind ${JSON.stringify(e.kind)}`;
        return needNode();
      case 'research_refreshed':
        if ((e.trigger !== 'plateau' && e.trigger !== 'failure_class') || !isStr(e.reason) || typeof e.ok !== 'boolean') return 'research_refreshed has a field of the wrong type';
        return null;
      case 'usage':
        if (!isNum(e.tokens) || !isNum(e.costUsd)) return 'usage tokens/costUsd are not numbers';
        if (e.id !== null && e.id !== undefined && !isNodeId(e.id)) return `invalid node id ${JSON.stringify(e.id)}`;
        return null;
      default:
        return null;
    }
  }

  apply(e: TreeEvent): void {
    this.lastSeq = e.seq;
    switch (e.type) {
      case 'experiment_created':
        this.metric = e.metric;
        this.goal = e.goal;
        break;
      case 'node_created': {
        const parent = e.parent ? this.nodes.get(e.parent) : undefined;
        const node: TreeNode = {
          id: e.id,
          parent: e.parent,
          children: [],
          origin: e.origin,
          title: e.title,
          changes: e.changes,
          configHash: e.configHash,
          recipeHash: e.recipeHash,
          status: e.status,
          pruned: false,
          edited: false,
          createdAt: e.t,
          updatedAt: e.t,
          depth: parent ? parent.depth + 1 : 0,
          proposer: e.proposer,
          stagesDone: [],
          stageMs: {},
          rungs: [],
        };
        this.nodes.set(e.id, node);
        if (parent) parent.children.push(e.id);
        else if (this.root === null) this.root = e.id;
        break;
      }
      case 'node_status': {
        const n = this.nodes.get(e.id);
        if (!n) break;
        n.status = e.status;
        n.stage = e.stage;
        n.updatedAt = e.t;
        if (e.status === 'pending' || e.status === 'running') {
          n.failure = undefined;
          if (e.status === 'pending') {
            this.clearRun(n);
            n.rungs = [];
            n.earlyStop = undefined;
            n.resumeStep = undefined;
          }
        }
        break;
      }
      case 'stage_finished': {
        const n = this.nodes.get(e.id);
        if (!n) break;
        if (e.exitCode === 0 && !n.stagesDone.includes(e.stage)) n.stagesDone.push(e.stage);
        if (e.stage === 'evaluate') n.metricsSha256 = e.exitCode === 0 ? e.metricsSha256 : undefined;
        if (!e.cached) n.stageMs[e.stage] = e.wallMs;
        if (e.host) n.where = e.host;
        break;
      }
      case 'node_result': {
        const n = this.nodes.get(e.id);
        if (!n) break;
        n.result = e.result;
        this.setStatus(n, 'succeeded', e.t);
        break;
      }
      case 'node_failed': {
        const n = this.nodes.get(e.id);
        if (!n) break;
        n.failure = { stage: e.stage, reason: e.reason, logTail: e.logTail, computeMs: e.computeMs ?? 0 };
        this.setStatus(n, 'failed', e.t);
        break;
      }
      case 'node_pruned': {
        const n = this.nodes.get(e.id);
        if (n) n.pruned = e.pruned;
        break;
      }
      case 'node_rung': {
        const n = this.nodes.get(e.id);
        if (n) n.rungs = [...n.rungs.filter((r) => r.rung !== e.rung), { rung: e.rung, step: e.step, metric: e.metric, value: e.value }];
        break;
      }
      case 'node_stopped_early': {
        const n = this.nodes.get(e.id);
        if (!n) break;
        n.earlyStop = { rung: e.rung, step: e.step, metric: e.metric, value: e.value, threshold: e.threshold, of: e.of, computeMs: e.computeMs, reason: e.reason };
        this.setStatus(n, 'stopped', e.t);
        break;
      }
      case 'node_resumed': {
        const n = this.nodes.get(e.id);
        if (!n) break;
        // Rung values and the early stop stay: they describe the steps the checkpoint already holds.
        this.clearRun(n);
        n.failure = undefined;
        n.resumeStep = e.step;
        this.setStatus(n, 'pending', e.t);
        break;
      }
      case 'node_edited': {
        const n = this.nodes.get(e.id);
        if (!n) break;
        n.edited = true;
        n.configHash = e.configHash;
        n.recipeHash = e.recipeHash;
        if (e.changes) n.changes = e.changes;
        break;
      }
      case 'proposal_dropped':
        this.droppedProposals.push({ parent: e.parent, reason: e.reason });
        break;
      case 'expansion_chosen': {
        const n = this.nodes.get(e.id);
        if (n) (n.expansions ??= []).push({ kind: e.kind, reason: e.reason, fallback: e.fallback, shortlist: e.shortlist, t: e.t });
        break;
      }
      case 'usage': {
        const n = e.id ? this.nodes.get(e.id) : undefined;
        if (n?.result) {
          n.result.tokens = (n.result.tokens ?? 0) + e.tokens;
          n.result.costUsd = (n.result.costUsd ?? 0) + e.costUsd;
        }
        this.usage.tokens += e.tokens;
        this.usage.costUsd += e.costUsd;
        break;
      }
      default:
        break;
    }
  }

  /** A status reached between stages (a result, a failure, a stop, a resume). */
  private setStatus(n: TreeNode, status: NodeStatus, t: number): void {
    n.status = status;
    n.stage = undefined;
    n.updatedAt = t;
  }

  /** Forgets a run's stages and result before the node runs again. */
  private clearRun(n: TreeNode): void {
    n.stagesDone = [];
    n.stageMs = {};
    n.metricsSha256 = undefined;
    n.result = undefined;
  }

  get(id: string): TreeNode {
    const n = this.nodes.get(id);
    if (!n) throw new Error(`no node '${id}'`);
    return n;
  }

  /** A node is excluded from selection if it or any ancestor is pruned. */
  isPruned(id: string): boolean {
    let cur: string | null = id;
    const seen = new Set<string>();
    while (cur && !seen.has(cur)) {
      seen.add(cur);
      const n = this.nodes.get(cur);
      if (!n) return false;
      if (n.pruned) return true;
      cur = n.parent;
    }
    return false;
  }

  ancestry(id: string): TreeNode[] {
    const out: TreeNode[] = [];
    let cur: string | null = id;
    const seen = new Set<string>();
    while (cur) {
      if (seen.has(cur)) throw new Error(`cycle in the tree at '${cur}'`);
      seen.add(cur);
      const n = this.get(cur);
      out.unshift(n);
      cur = n.parent;
    }
    return out;
  }

  /** Higher is better, whatever the metric's goal. */
  utility(score: number): number {
    return this.goal === 'minimize' ? -score : score;
  }

  succeeded(): TreeNode[] {
    return [...this.nodes.values()].filter((n) => n.status === 'succeeded' && n.result);
  }

  /** Best node by validation score (never by test score). Ties go to the earlier node. */
  best(): TreeNode | undefined {
    let best: TreeNode | undefined;
    for (const n of this.nodes.values()) {
      if (n.status !== 'succeeded' || !n.result) continue;
      if (!best || this.utility(n.result.score) > this.utility(best.result!.score)) best = n;
    }
    return best;
  }

  /** Number of runs that actually trained (reused results cost nothing and do not count). */
  runsSpent(): number {
    let runs = 0;
    for (const n of this.nodes.values()) {
      // A run stopped early trained too (part of the way): it counts as a run.
      if ((n.status === 'succeeded' && !n.result?.reusedFrom) || n.status === 'failed' || n.status === 'stopped') runs++;
    }
    return runs;
  }

  computeMsSpent(): number {
    let ms = 0;
    // A resumed node's compute before its early stop is in its earlyStop record, not in its result.
    for (const n of this.nodes.values()) ms += (n.result?.computeMs ?? n.failure?.computeMs ?? 0) + (n.earlyStop?.computeMs ?? 0);
    return ms;
  }

  savedMs(): number {
    let ms = 0;
    for (const n of this.nodes.values()) ms += n.result?.savedMs ?? 0;
    return ms;
  }

  /** Path from the root to the best node, for highlighting. */
  bestPath(): string[] {
    const b = this.best();
    return b ? this.ancestry(b.id).map((n) => n.id) : [];
  }
}
