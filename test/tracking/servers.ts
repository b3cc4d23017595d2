// The trackers' real programs for the tests: a `mlflow server` on loopback (sqlite backend) in its
// own process group, and the read-back script that opens W&B offline runs and TensorBoard event
// files with their own packages. The Python is .venv-tracking's (trainer/requirements-tracking.txt).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { ROOT } from '../helpers/cli';

/** The Python with mlflow, wandb and tensorboard, or why there is none. */
export function trackingPython(): { python: string } | { missing: string } {
  const python = process.env.TREX_TRACKING_PYTHON ?? join(ROOT, '.venv-tracking', 'bin', 'python');
  if (!existsSync(python) && !process.env.TREX_TRACKING_PYTHON) return { missing: `${python} is missing: run .ci/setup.sh tests` };
  const r = spawnSync(python, ['-c', 'import mlflow, wandb, tensorboard'], { encoding: 'utf8' });
  return r.status === 0 ? { python } : { missing: `${python} lacks mlflow, wandb or tensorboard: ${r.stderr.slice(-300)}` };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      s.close(() => (addr && typeof addr === 'object' ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

export interface MlflowServer {
  uri: string;
  stop(): Promise<void>;
}

/** Starts `mlflow server` on 127.0.0.1:port with a sqlite store under dir; resolves once /health answers. */
export async function startMlflow(python: string, dir: string, port: number): Promise<MlflowServer> {
  const uri = `http://127.0.0.1:${port}`;
  const child = spawn(python, ['-m', 'mlflow', 'server', '--backend-store-uri', `sqlite:///${join(dir, 'mlflow.db')}`, '--default-artifact-root', join(dir, 'artifacts'), '--host', '127.0.0.1', '--port', String(port), '--workers', '1'], {
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, MLFLOW_TRACKING_URI: '' },
  });
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-4000)));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null && child.pid) {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // already gone
      }
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // already gone
        }
      }, 10_000);
      await exited;
      clearTimeout(timer);
    }
  };
  // Start-up (imports, the sqlite schema) takes a minute on a busy machine: wait for its answer, bounded.
  const deadline = Date.now() + 300_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`mlflow server exited: ${stderr}`);
    try {
      if ((await fetch(`${uri}/health`)).ok) return { uri, stop };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  await stop();
  throw new Error(`mlflow server did not answer within 300 s: ${stderr}`);
}

/** GET or POST one MLflow REST call and return its JSON. */
export async function mlflowApi<T>(uri: string, endpoint: string, body?: object): Promise<T> {
  const res = await fetch(`${uri}/api/2.0/mlflow/${endpoint}`, body ? { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {});
  const text = await res.text();
  if (!res.ok) throw new Error(`${endpoint}: HTTP ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

export interface MlflowRun {
  info: { run_id: string; run_name: string; status: string; start_time: number; end_time?: number };
  data: { params?: { key: string; value: string }[]; tags?: { key: string; value: string }[]; metrics?: { key: string; value: number; step: number }[] };
}

export async function mlflowRuns(uri: string, experiment: string): Promise<MlflowRun[]> {
  const { experiment: e } = await mlflowApi<{ experiment: { experiment_id: string } }>(uri, `experiments/get-by-name?experiment_name=${encodeURIComponent(experiment)}`);
  const { runs } = await mlflowApi<{ runs?: MlflowRun[] }>(uri, 'runs/search', { experiment_ids: [e.experiment_id], max_results: 1000 });
  return runs ?? [];
}

export async function mlflowHistory(uri: string, runId: string, key: string): Promise<{ step: number; value: number }[]> {
  const { metrics } = await mlflowApi<{ metrics?: { step: number; value: number }[] }>(uri, `metrics/get-history?run_id=${runId}&metric_key=${encodeURIComponent(key)}`);
  return (metrics ?? []).map((m) => ({ step: Number(m.step), value: m.value })).sort((a, b) => a.step - b.step);
}

/** What test/tracking/read_back.py reads with the wandb or tensorboard package. */
export function readBack<T>(python: string, kind: 'wandb' | 'tensorboard' | 'events', dir: string): T {
  const r = spawnSync(python, [join(ROOT, 'test', 'tracking', 'read_back.py'), kind, dir], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`read_back.py ${kind} failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}
