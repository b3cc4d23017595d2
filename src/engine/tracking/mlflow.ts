// MLflow over its REST API (/api/2.0/mlflow): the TREX experiment is an MLflow experiment, each
// finished node a run. Logging a node is idempotent: a run of the same node and attempt that was
// completed is left alone, one left half-written (the server went down mid-way) is replaced.
import { boundedFetch } from '../llm/boundedFetch';
import { isPlainObject } from '../util/isPlainObject';
import type { NodeRunRecord } from './nodeRun';
import type { Tracker } from './tracker';

// MLflow's own limits (mlflow/utils/validation.py).
const MAX_PARAMS_PER_BATCH = 100;
const MAX_TAGS_PER_BATCH = 100;
const MAX_METRICS_PER_BATCH = 1000;
const MAX_PARAM_VALUE = 6000;
const MAX_TAG_VALUE = 8000;
const MAX_KEY = 250;

const mlflowFetch = boundedFetch({ maxBytes: 16 << 20, timeoutMs: 30_000 });

export class MlflowApiError extends Error {}

export class MlflowTracker implements Tracker {
  readonly name = 'mlflow';
  private experimentId: string | undefined;

  constructor(
    readonly uri: string,
    readonly experiment: string,
    /** Authorization header value from the environment, or none. */
    private readonly auth: string | undefined,
  ) {}

  get identity(): string {
    return `mlflow ${this.uri} ${this.experiment}`;
  }

  async log(run: NodeRunRecord): Promise<void> {
    const experimentId = await this.ensureExperiment();
    const existing = await this.findRuns(experimentId, run);
    if (existing.some((r) => r.status === 'FINISHED' || r.status === 'FAILED')) return;
    for (const r of existing) await this.call('runs/delete', { run_id: r.runId });
    const tags = [
      ...Object.entries(run.tags).map(([key, value]) => ({ key, value })),
      { key: 'mlflow.note.content', value: run.description },
      { key: 'mlflow.source.name', value: run.nodeUrl },
      { key: 'mlflow.source.type', value: 'LOCAL' },
    ].map((t) => ({ key: t.key, value: t.value.slice(0, MAX_TAG_VALUE) }));
    const created = await this.call('runs/create', { experiment_id: experimentId, run_name: run.runName, start_time: run.startMs, tags: tags.slice(0, MAX_TAGS_PER_BATCH) });
    const runId = str(dig(created, 'run', 'info', 'run_id'));
    if (!runId) throw new MlflowApiError('runs/create returned no run id');
    const params = Object.entries(run.params).map(([key, value]) => ({ key: safeKey(key), value: String(value).slice(0, MAX_PARAM_VALUE) }));
    for (let i = 0; i < params.length; i += MAX_PARAMS_PER_BATCH) await this.call('runs/log-batch', { run_id: runId, params: params.slice(i, i + MAX_PARAMS_PER_BATCH) });
    const metrics = [
      ...run.steps.flatMap((s) => Object.entries(s.values).map(([key, value]) => ({ key: safeKey(key), value, timestamp: run.endMs, step: s.step }))),
      ...Object.entries(run.final).map(([key, value]) => ({ key: safeKey(key), value, timestamp: run.endMs, step: run.steps.at(-1)?.step ?? 0 })),
    ];
    for (let i = 0; i < metrics.length; i += MAX_METRICS_PER_BATCH) await this.call('runs/log-batch', { run_id: runId, metrics: metrics.slice(i, i + MAX_METRICS_PER_BATCH) });
    // The status is the last write: a run that says FINISHED or FAILED is complete.
    await this.call('runs/update', { run_id: runId, status: run.status === 'succeeded' ? 'FINISHED' : 'FAILED', end_time: run.endMs });
  }

  private async ensureExperiment(): Promise<string> {
    if (this.experimentId) return this.experimentId;
    let id = await this.experimentByName();
    if (!id) {
      try {
        id = str((await this.call('experiments/create', { name: this.experiment })).experiment_id);
      } catch (e) {
        // Created meanwhile by another client: read it back.
        if (!(e instanceof MlflowApiError) || !/RESOURCE_ALREADY_EXISTS/.test(e.message)) throw e;
        id = await this.experimentByName();
      }
    }
    if (!id) throw new MlflowApiError(`cannot create the MLflow experiment ${JSON.stringify(this.experiment)}`);
    return (this.experimentId = id);
  }

  private async experimentByName(): Promise<string | undefined> {
    try {
      const reply = await this.call('experiments/get-by-name', undefined, { experiment_name: this.experiment });
      if (dig(reply, 'experiment', 'lifecycle_stage') === 'deleted') throw new MlflowApiError(`the MLflow experiment ${JSON.stringify(this.experiment)} is deleted: restore it or name another`);
      return str(dig(reply, 'experiment', 'experiment_id'));
    } catch (e) {
      if (e instanceof MlflowApiError && /RESOURCE_DOES_NOT_EXIST/.test(e.message)) return undefined;
      throw e;
    }
  }

  private async findRuns(experimentId: string, run: NodeRunRecord): Promise<{ runId: string; status: string }[]> {
    const filter = `tags.\`trex.node_id\` = '${run.nodeId}' and tags.\`trex.attempt\` = '${run.attempt}'`;
    const reply = await this.call('runs/search', { experiment_ids: [experimentId], filter, max_results: 50 });
    const runs = Array.isArray(reply.runs) ? reply.runs : [];
    return runs.flatMap((r) => {
      const runId = str(dig(r, 'info', 'run_id'));
      return runId ? [{ runId, status: str(dig(r, 'info', 'status')) ?? '' }] : [];
    });
  }

  /** One REST call; an MLflow error reply becomes an MlflowApiError with its error code. */
  private async call(endpoint: string, body?: object, query?: Record<string, string>): Promise<Record<string, unknown>> {
    const url = `${this.uri}/api/2.0/mlflow/${endpoint}${query ? `?${new URLSearchParams(query)}` : ''}`;
    const headers: Record<string, string> = { 'content-type': 'application/json', ...(this.auth ? { authorization: this.auth } : {}) };
    const res = await mlflowFetch(url, body ? { method: 'POST', headers, body: JSON.stringify(body) } : { headers });
    const text = await res.text();
    let reply: unknown;
    try {
      reply = text ? JSON.parse(text) : {};
    } catch {
      reply = undefined;
    }
    if (!res.ok) {
      const code = isPlainObject(reply) ? str(reply.error_code) : undefined;
      const message = isPlainObject(reply) ? str(reply.message) : undefined;
      throw new MlflowApiError(`MLflow ${endpoint}: HTTP ${res.status}${code ? ` ${code}` : ''}${message ? `: ${message.slice(0, 300)}` : ''}`);
    }
    if (!isPlainObject(reply)) throw new MlflowApiError(`MLflow ${endpoint}: the reply is not a JSON object`);
    return reply;
  }
}

/** The Authorization header MLflow's own clients would send, from the environment. */
export function mlflowAuthFromEnv(env: NodeJS.ProcessEnv): string | undefined {
  if (env.MLFLOW_TRACKING_TOKEN) return `Bearer ${env.MLFLOW_TRACKING_TOKEN}`;
  if (env.MLFLOW_TRACKING_USERNAME && env.MLFLOW_TRACKING_PASSWORD) return `Basic ${Buffer.from(`${env.MLFLOW_TRACKING_USERNAME}:${env.MLFLOW_TRACKING_PASSWORD}`).toString('base64')}`;
  return undefined;
}

/** MLflow keys allow letters, digits, `_ - . / ` and spaces. */
function safeKey(key: string): string {
  return key.replace(/[^\w\-./ ]/g, '_').slice(0, MAX_KEY);
}

function dig(v: unknown, ...path: string[]): unknown {
  let cur = v;
  for (const k of path) cur = isPlainObject(cur) ? cur[k] : undefined;
  return cur;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v ? v : undefined;
}
