// nodes/<id>/executor.jsonl: one line per Executor event (sessions, tool calls, cheap checks), so
// every debugging attempt on a node can be read back, and bounded across restarts.
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import type { Experiment } from '../../experiment';
import { isPlainObject } from '../jsonValidation';
import { redactDeep } from '../../secrets';

export const EXECUTOR_LOG = 'executor.jsonl';

export type ExecutorRecord = { t?: number; kind: string; session?: number } & Record<string, unknown>;

export function appendExecutorRecord(exp: Experiment, nodeId: string, rec: ExecutorRecord): void {
  try {
    appendFileSync(exp.nodePath(nodeId, EXECUTOR_LOG), JSON.stringify(redactDeep({ t: Date.now(), ...rec })) + '\n');
  } catch {
    // a node folder removed under us: nothing to record into
  }
}

export function readExecutorRecords(exp: Experiment, nodeId: string): ExecutorRecord[] {
  const path = exp.nodePath(nodeId, EXECUTOR_LOG);
  if (!existsSync(path)) return [];
  const out: ExecutorRecord[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      const v: unknown = JSON.parse(line);
      if (isPlainObject(v) && typeof v.kind === 'string') out.push(v as ExecutorRecord);
    } catch {
      // torn line
    }
  }
  return out;
}

export function sessionCount(exp: Experiment, nodeId: string): number {
  return readExecutorRecords(exp, nodeId).filter((r) => r.kind === 'session_start').length;
}
