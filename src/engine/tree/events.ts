// The events of the experiment's append-only log (tree.jsonl). The tree is a fold over them.
import type { JsonObject } from '../spec/types';

/** `stopped`: stopped early at a rung (search.early_stopping); it keeps a partial result and can be resumed. */
export const NODE_STATUSES = ['draft', 'awaiting_approval', 'pending', 'running', 'succeeded', 'failed', 'cancelled', 'rejected', 'stopped'] as const;
export type NodeStatus = (typeof NODE_STATUSES)[number];
export type StageName = 'prepare' | 'train' | 'evaluate';
export const STAGES: readonly StageName[] = ['prepare', 'train', 'evaluate'];
export const NODE_ORIGINS = ['root', 'proposer', 'fork'] as const;
export type NodeOrigin = (typeof NODE_ORIGINS)[number];

/** Who set a field: the user, the offline proposer, the LLM Researcher or the Executor agent. */
export type FieldSetter = 'user' | 'offline' | 'researcher' | 'executor';

export interface EdgeChange {
  path: string;
  from: unknown;
  to: unknown;
  /** Who set this value (absent in logs written before it was recorded). */
  by?: FieldSetter;
}

export interface NodeResult {
  score: number; // validation score of the task metric
  testScore?: number; // held-out test score: reported, never used for selection
  metrics: JsonObject;
  wallMs: number; // wall time of the whole node
  computeMs: number; // process time actually spent on this node's stages
  reusedFrom?: string; // the node whose identical config already ran
  savedMs: number; // compute avoided by reuse (dedupe, data cache, warm start)
  dataCacheHit?: boolean;
  /** The prepared data's key (recipe + content of the files it reads): reuse needs the same data. */
  dataKey?: string;
  warmStartFrom?: string;
  /** The step training continued from when the node was resumed after an early stop. */
  resumedFromStep?: number;
  tokens?: number;
  costUsd?: number;
}

/** A metric measured during training at a rung's step (the first evaluation at or after it). */
export interface RungValue {
  rung: number;
  step: number;
  metric: string;
  value: number;
}

/**
 * Why a node was stopped early, with its partial result: the last intermediate metric, which is
 * never a node's result (selection, best and the final pick only see full results).
 */
export interface EarlyStop extends RungValue {
  threshold: number;
  /** How many values (the node's and its peers') were ranked at the rung. */
  of: number;
  computeMs: number;
}

interface Base {
  seq: number;
  t: number; // epoch ms
}

export type TreeEvent = Base &
  (
    | { type: 'experiment_created'; name: string; metric: string; goal: 'maximize' | 'minimize' }
    | {
        type: 'node_created';
        id: string;
        parent: string | null;
        origin: NodeOrigin;
        title: string;
        changes: EdgeChange[];
        configHash: string;
        recipeHash: string;
        status: NodeStatus;
        proposer?: string;
      }
    | { type: 'node_status'; id: string; status: NodeStatus; stage?: StageName; reason?: string }
    | { type: 'stage_finished'; id: string; stage: StageName; exitCode: number; wallMs: number; cached?: boolean; host?: string; metricsSha256?: string }
    | { type: 'node_result'; id: string; result: NodeResult }
    | { type: 'node_failed'; id: string; stage: StageName | 'setup'; reason: string; logTail: string; computeMs?: number; wallMs?: number }
    | { type: 'node_pruned'; id: string; pruned: boolean }
    | ({ type: 'node_rung'; id: string } & RungValue)
    | ({ type: 'node_stopped_early'; id: string; reason: string } & EarlyStop)
    | { type: 'node_resumed'; id: string; step: number; by: FieldSetter }
    | { type: 'node_edited'; id: string; file: string; configHash: string; recipeHash: string; changes?: EdgeChange[]; by?: FieldSetter }
    | { type: 'search_started'; policy: string; budget: JsonObject; pid: number }
    | { type: 'search_stopped'; reason: string }
    | { type: 'proposal_dropped'; parent: string; reason: string }
    | { type: 'usage'; id: string | null; role: string; tokens: number; costUsd: number }
    | ExpansionChosenEvent
    | { type: 'research_refreshed'; trigger: ResearchTrigger; reason: string; ok: boolean }
  );

/** What kind of step the Researcher asked of an expansion under policy llm-uct. */
export const STEP_KINDS = ['improve', 'explore', 'debug'] as const;
export type StepKind = (typeof STEP_KINDS)[number];

/** Under llm-uct: the node chosen from UCT's shortlist, the kind of step and why (or why UCT's own pick stood). */
export interface ExpansionChosenEvent {
  type: 'expansion_chosen';
  id: string;
  shortlist: string[];
  kind?: StepKind;
  reason: string;
  /** True when the Researcher's pick was unusable and UCT's first choice stood. */
  fallback: boolean;
}

/** Why research ran again during a search. */
export type ResearchTrigger = 'plateau' | 'failure_class';

/** Every event type, for the reader that checks lines from disk (the compiler keeps it complete). */
export const EVENT_TYPES = ['experiment_created', 'node_created', 'node_status', 'stage_finished', 'node_result', 'node_failed', 'node_pruned', 'node_rung', 'node_stopped_early', 'node_resumed', 'node_edited', 'search_started', 'search_stopped', 'proposal_dropped', 'usage', 'expansion_chosen', 'research_refreshed'] as const satisfies readonly TreeEvent['type'][];
type MissingEventType = Exclude<TreeEvent['type'], (typeof EVENT_TYPES)[number]>;
// Fails to compile when an event type is added to the union but not to EVENT_TYPES.
const EVENT_TYPES_COMPLETE: MissingEventType extends never ? true : never = true;
void EVENT_TYPES_COMPLETE;

/** Distributes Omit over the event union so callers can build an event without seq and t. */
type DistributiveOmit<T, K extends keyof T> = T extends unknown ? Omit<T, K> : never;
export type NewTreeEvent = DistributiveOmit<TreeEvent, 'seq' | 't'>;
