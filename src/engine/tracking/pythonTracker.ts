// W&B and TensorBoard through their own Python packages: trainer/trex_tracking.py gets the run on
// stdin and writes it with the wandb client or TensorBoard's event-file writer. A process per run,
// in its own process group, ended with it on abort or timeout.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { runnerDir } from '../packageDirs';
import { redact, scrubbedEnv } from '../secrets';
import type { NodeRunRecord } from './nodeRun';
import type { ResolvedTracking } from './settings';
import type { Tracker } from './tracker';

const TIMEOUT_MS = 300_000;
const MAX_OUTPUT = 64 * 1024;

type Target = { kind: 'wandb'; wandb: NonNullable<ResolvedTracking['wandb']> } | { kind: 'tensorboard'; tensorboard: NonNullable<ResolvedTracking['tensorboard']> };

export class PythonTracker implements Tracker {
  readonly name: string;
  readonly identity: string;

  constructor(
    private readonly python: string,
    private readonly target: Target,
    private readonly env: NodeJS.ProcessEnv,
  ) {
    this.name = target.kind;
    this.identity = target.kind === 'wandb' ? `wandb ${target.wandb.mode} ${target.wandb.entity ?? ''}/${target.wandb.project} ${target.wandb.dir}` : `tensorboard ${target.tensorboard.logDir}`;
  }

  log(run: NodeRunRecord, signal: AbortSignal): Promise<void> {
    const env: NodeJS.ProcessEnv = { ...scrubbedEnv(this.env), PYTHONUNBUFFERED: '1', WANDB_SILENT: 'true' };
    // The wandb client reads its key from the environment, only for an online run.
    if (this.target.kind === 'wandb' && this.target.wandb.mode === 'online' && this.env.WANDB_API_KEY) env.WANDB_API_KEY = this.env.WANDB_API_KEY;
    const input = JSON.stringify({ run, ...this.target });
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(new Error('aborted'));
      const child = spawn(this.python, [join(runnerDir(), 'trex_tracking.py'), this.target.kind], { env, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
      let output = '';
      const keep = (b: Buffer) => {
        output = (output + b.toString('utf8')).slice(-MAX_OUTPUT);
      };
      child.stdout.on('data', keep);
      child.stderr.on('data', keep);
      const kill = () => {
        if (child.pid !== undefined && child.exitCode === null) {
          try {
            process.kill(-child.pid, 'SIGKILL');
          } catch {
            // already gone
          }
        }
      };
      const timer = setTimeout(kill, TIMEOUT_MS);
      signal.addEventListener('abort', kill, { once: true });
      child.on('error', (e) => {
        clearTimeout(timer);
        signal.removeEventListener('abort', kill);
        reject(new Error(`${this.name}: cannot start ${this.python}: ${e.message}`));
      });
      child.on('close', (code) => {
        clearTimeout(timer);
        signal.removeEventListener('abort', kill);
        if (code === 0) return resolve();
        const last = output.trim().split('\n').slice(-5).join('\n');
        reject(new Error(`${this.name} logging exited with ${code ?? 'a signal'}: ${redact(last, this.env)}`));
      });
      child.stdin.on('error', () => undefined); // a helper that died early: reported by 'close'
      child.stdin.end(input);
    });
  }
}
