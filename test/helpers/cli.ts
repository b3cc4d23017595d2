// Runs the bundled `trex` CLI (dist/cli.js) as a user would.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '..', '..', '..');
export const CLI = join(ROOT, 'dist', 'cli.js');

export function testEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, TREX_PYTHON: process.env.TREX_PYTHON ?? '/usr/bin/python3', TREX_CACHE: join(ROOT, '.trex-cache'), ...extra };
}

export function trex(args: string[], env: Record<string, string> = {}): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { env: testEnv(env), encoding: 'utf8', timeout: 600_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export function trexAsync(args: string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, [CLI, ...args], { env: testEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
}

export { tempDir } from './tempDir';

export interface StatusJson {
  runs: number;
  computeMs: number;
  savedMs: number;
  nodes: { id: string; parent: string | null; status: string; score: number | null; testScore: number | null; reusedFrom: string | null; warmStartFrom: string | null; dataCacheHit: boolean; changes: { path: string; to: unknown }[]; failure: string | null }[];
  best: { id: string; score: number; testScore: number | null } | null;
}

export function status(dir: string): StatusJson {
  const r = trex(['status', dir, '--json']);
  if (r.code !== 0) throw new Error(`trex status failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as StatusJson;
}
