// Which trackers a search logs to: trex.yaml's `tracking:` with the user's own overrides (editor
// settings trex.tracking.*) on top, resolved to absolute places. Credentials are never part of
// this: they come from the environment when a tracker talks to its server.
import { existsSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { FRAMEWORK_TENSORBOARD_SUBDIR } from '../frameworks/render';
import { packageRoot } from '../packageDirs';
import type { TaskSpec, TrackingSpec } from '../spec/types';

/** The user's overrides (editor settings); empty fields leave trex.yaml's value. */
export interface TrackingOverrides {
  mlflowTrackingUri?: string;
  mlflowExperiment?: string;
  wandbProject?: string;
  wandbEntity?: string;
  wandbMode?: 'online' | 'offline';
  tensorboard?: boolean;
  python?: string;
}

export interface ResolvedTracking {
  mlflow?: { uri: string; experiment: string; /** The user chose this server (setting or MLFLOW_TRACKING_URI): its credentials may go to it. */ trusted: boolean };
  wandb?: { project: string; entity?: string; mode: 'online' | 'offline'; dir: string };
  /** frameworkRuns: the node-relative folder of the frameworks' own event files, copied beside TREX's (tracking.tensorboard.framework_logs). */
  tensorboard?: { logDir: string; frameworkRuns?: string };
  python: string;
}

export function resolveTracking(spec: TaskSpec, expDir: string, overrides: TrackingOverrides = {}, env: NodeJS.ProcessEnv = process.env): ResolvedTracking | undefined {
  const t: TrackingSpec = spec.tracking ?? {};
  const out: ResolvedTracking = { python: trackingPython(overrides, env) };
  const uri = overrides.mlflowTrackingUri || t.mlflow?.tracking_uri;
  if (uri) {
    if (!/^https?:\/\//.test(uri)) throw new Error(`MLflow tracking URI must be http(s): ${uri}`);
    const trusted = Boolean(overrides.mlflowTrackingUri) || sameServer(uri, env.MLFLOW_TRACKING_URI);
    out.mlflow = { uri: uri.replace(/\/+$/, ''), experiment: overrides.mlflowExperiment || t.mlflow?.experiment || spec.name, trusted };
  }
  if (overrides.wandbProject || t.wandb) {
    const envMode = env.WANDB_MODE === 'offline' || env.WANDB_MODE === 'online' ? env.WANDB_MODE : undefined;
    out.wandb = {
      project: overrides.wandbProject || t.wandb?.project || spec.name,
      entity: overrides.wandbEntity || t.wandb?.entity,
      mode: overrides.wandbMode || t.wandb?.mode || envMode || 'online',
      dir: inExperiment(expDir, t.wandb?.dir ?? '.trex/wandb'),
    };
  }
  if (overrides.tensorboard || t.tensorboard) {
    out.tensorboard = { logDir: inExperiment(expDir, t.tensorboard?.log_dir ?? '.trex/tensorboard') };
    if (t.tensorboard?.framework_logs === true) out.tensorboard.frameworkRuns = FRAMEWORK_TENSORBOARD_SUBDIR;
  }
  return out.mlflow || out.wandb || out.tensorboard ? out : undefined;
}

function sameServer(a: string, b: string | undefined): boolean {
  if (!b) return false;
  try {
    return new URL(a).origin === new URL(b).origin;
  } catch {
    return false;
  }
}

/** A folder's trex.yaml writes only inside the experiment (tracker files are replaced on a retry). */
function inExperiment(expDir: string, p: string): string {
  const abs = resolve(expDir, p);
  const rel = relative(expDir, abs);
  if (isAbsolute(p) || rel === '' || rel === '..' || rel.startsWith(`..${sep}`)) throw new Error(`tracking: ${JSON.stringify(p)} must be a folder inside the experiment`);
  return abs;
}

/**
 * The Python with wandb and tensorboard: the user's setting, else $TREX_TRACKING_PYTHON, else
 * TREX's .venv-tracking, else python3. Never from trex.yaml: a folder does not pick programs to run.
 */
function trackingPython(overrides: TrackingOverrides, env: NodeJS.ProcessEnv): string {
  if (overrides.python) return overrides.python;
  if (env.TREX_TRACKING_PYTHON) return env.TREX_TRACKING_PYTHON;
  const venv = join(packageRoot(), '.venv-tracking', 'bin', 'python');
  return existsSync(venv) ? venv : 'python3';
}
