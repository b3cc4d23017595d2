// The typed message protocol between the extension host and the tree webview. Imported by both
// sides, so it holds only types and tiny pure helpers (no DOM, no vscode).
//
// Direction webview → host: requests, each with an id; the host answers with a response carrying
// the same id (ok + data, or an error string). `ready` is the handshake: the host sends nothing
// before it, then answers it and pushes the whole tree once (treeReset).
// Direction host → webview: events only; after treeReset, changes come as small patches
// (nodeUpserted, nodesRemoved, metaChanged), never the whole tree again.

export type NodeStatusView = 'draft' | 'awaiting_approval' | 'pending' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'rejected' | 'stopped';
export type StageNameView = 'prepare' | 'train' | 'evaluate';

/** What the views need of one node: small, JSON-cloneable, sent on every change of the node. */
export interface NodeView {
  id: string;
  parent: string | null;
  title: string;
  status: NodeStatusView;
  stage: StageNameView | null;
  score: number | null;
  testScore: number | null;
  /** The node itself is pruned (its subtree is excluded from selection). */
  pruned: boolean;
  /** Its files were edited since it ran (or since it was proposed). */
  modified: boolean;
  origin: 'root' | 'proposer' | 'fork';
  changes: { path: string; to: string }[];
  reusedFrom: string | null;
  failure: string | null;
  /** Epoch ms of the node's last status change: the views show elapsed time from it while running. */
  updatedAt: number;
  /** Wall time of the whole node once finished. */
  wallMs: number | null;
}

export interface TreeMeta {
  experiment: string;
  experimentDir: string;
  metric: string;
  goal: 'maximize' | 'minimize';
  bestId: string | null;
  bestPath: string[];
  runs: number;
  maxRuns: number | null;
  search: 'idle' | 'running' | 'pausing' | 'stopping' | 'external';
}

export interface TreeSnapshot {
  meta: TreeMeta;
  nodes: NodeView[];
}

export interface LossPoint {
  step: number;
  loss: number;
}

/** Everything the details pane shows for the selected node, fetched on selection. */
export interface NodeDetails {
  id: string;
  plan: string;
  /** Unified diff of recipe.yaml + train.yaml against the parent's ('' for the root). */
  diff: string;
  metrics: { name: string; value: string }[];
  loss: LossPoint[];
  stageLogs: StageNameView[];
}

export interface StageProgressView {
  nodeId: string;
  stage: string;
  step: number | null;
  total: number | null;
  loss: number | null;
}

export type NodeFile = 'plan' | 'recipe' | 'train' | 'folder';

/** Several nodes side by side, fetched when the compare view opens. */
export interface CompareData {
  nodes: { id: string; title: string; status: NodeStatusView; score: number | null; metrics: { name: string; value: string }[]; loss: LossPoint[] }[];
  /** Only the config paths (recipe.* / train.*) whose values differ between the nodes; values in node order, null where absent. */
  configDiff: { path: string; values: (string | null)[] }[];
}

/** One axis of the knobs view: a search_space path of trex.yaml. */
export interface KnobAxis {
  path: string;
  /** Numbers are placed on a (log) scale; anything else on evenly spaced categories. */
  kind: 'number' | 'category';
  log: boolean;
  /** Category labels in the order of trex.yaml's values (kind 'category'). */
  categories: string[];
}

/** Every finished node's knob values and score, fetched when the knobs view opens. */
export interface KnobTable {
  metric: string;
  goal: 'maximize' | 'minimize';
  axes: KnobAxis[];
  rows: { id: string; status: NodeStatusView; score: number | null; values: (number | string | null)[] }[];
}

/** The experiment's notes and spending, fetched when the experiment view opens. */
export interface ExperimentOverview {
  insights: string;
  research: string;
  /** The final pick (top configurations re-run over seeds), once it ran; the first is recommended. */
  finalPick: { id: string; mean: number; sd: number; seeds: number; testMean: number | null }[];
  budget: {
    runs: number;
    maxRuns: number | null;
    computeHours: number;
    maxComputeHours: number | null;
    tokens: number;
    costUsd: number;
    maxCostUsd: number | null;
  };
}

/** webview → host: name → [request data, response data]. */
export interface WebviewRequests {
  ready: [{ viewState: unknown }, { experimentDir: string | null }];
  nodeDetails: [{ id: string }, NodeDetails];
  selectNode: [{ id: string | null }, void];
  pruneNode: [{ id: string; pruned: boolean }, void];
  forkNode: [{ id: string }, { newId: string }];
  runNode: [{ id: string }, void];
  approveNode: [{ id: string }, void];
  rejectNode: [{ id: string }, void];
  openNodeFile: [{ id: string; file: NodeFile }, void];
  openStageLog: [{ id: string; stage: StageNameView | null }, void];
  compareWithParent: [{ id: string }, void];
  /** Export the node as a bundle that reproduces it without TREX (the host asks where). */
  exportNode: [{ id: string }, void];
  compareNodes: [{ ids: string[] }, CompareData];
  knobTable: [Record<string, never>, KnobTable];
  experimentOverview: [Record<string, never>, ExperimentOverview];
}

/** host → webview: name → event data. */
export interface HostEvents {
  treeReset: TreeSnapshot;
  nodeUpserted: { node: NodeView };
  nodesRemoved: { ids: string[] };
  metaChanged: { meta: TreeMeta };
  stageProgress: StageProgressView;
  revealNode: { id: string };
  /** A node's plan.md, recipe.yaml or train.yaml changed on disk: its details (diff, plan) are stale. */
  nodeFilesChanged: { id: string };
}

export type RequestType = keyof WebviewRequests;
export type RequestData<T extends RequestType> = WebviewRequests[T][0];
export type ResponseData<T extends RequestType> = WebviewRequests[T][1];
export type EventType = keyof HostEvents;

export type RequestEnvelope<T extends RequestType = RequestType> = { kind: 'request'; id: number; type: T; data: RequestData<T> };
export type ResponseEnvelope = { kind: 'response'; id: number; ok: true; data: unknown } | { kind: 'response'; id: number; ok: false; error: string };
export type EventEnvelope<T extends EventType = EventType> = { kind: 'event'; type: T; data: HostEvents[T] };

export type ToHostMessage = RequestEnvelope;
export type ToWebviewMessage = ResponseEnvelope | EventEnvelope;

const REQUEST_TYPES: readonly RequestType[] = [
  'ready',
  'nodeDetails',
  'selectNode',
  'pruneNode',
  'forkNode',
  'runNode',
  'approveNode',
  'rejectNode',
  'openNodeFile',
  'openStageLog',
  'compareWithParent',
  'exportNode',
  'compareNodes',
  'knobTable',
  'experimentOverview',
];

/** Messages from a webview are untrusted input: check the envelope before dispatching it. */
export function isRequestEnvelope(m: unknown): m is RequestEnvelope {
  if (typeof m !== 'object' || m === null) return false;
  const r = m as Record<string, unknown>;
  return r.kind === 'request' && typeof r.id === 'number' && typeof r.type === 'string' && (REQUEST_TYPES as readonly string[]).includes(r.type) && typeof r.data === 'object' && r.data !== null;
}

export function isToWebviewMessage(m: unknown): m is ToWebviewMessage {
  if (typeof m !== 'object' || m === null) return false;
  const r = m as Record<string, unknown>;
  return (r.kind === 'response' && typeof r.id === 'number') || (r.kind === 'event' && typeof r.type === 'string');
}
