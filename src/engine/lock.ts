// One search process per experiment: a lock file in .trex/, created atomically (O_EXCL) with the
// holder's pid and process start time. It is stale only when that pid is dead or is now another
// process (start time differs); a lock file still being written (empty, just created) is held.
import { mkdirSync, openSync, closeSync, writeSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** How long an empty or unreadable lock file counts as "being written" before it is stale. */
const WRITING_GRACE_MS = 5_000;
/** A takeover marker older than this was left by a crashed process. */
const TAKEOVER_STALE_MS = 10_000;

/** Start time of a process (clock ticks since boot, Linux), or null where unknown. */
export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? null; // field 22 of stat: starttime
  } catch {
    return null;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

type LockState = { kind: 'held'; pid: number } | { kind: 'stale' } | { kind: 'absent' };

export class ExperimentLock {
  private held = false;
  readonly path: string;

  constructor(dir: string) {
    this.path = join(dir, '.trex', 'search.lock');
  }

  private state(): LockState {
    let text: string;
    let ageMs: number;
    try {
      ageMs = Date.now() - statSync(this.path).mtimeMs;
      text = readFileSync(this.path, 'utf8');
    } catch {
      return { kind: 'absent' };
    }
    let pid = 0;
    let start: string | null = null;
    try {
      const parsed = JSON.parse(text) as { pid?: unknown; start?: unknown };
      if (Number.isSafeInteger(parsed.pid) && (parsed.pid as number) > 0) pid = parsed.pid as number;
      if (typeof parsed.start === 'string') start = parsed.start;
    } catch {
      // Older locks held a bare pid.
      if (/^\d+$/.test(text.trim())) pid = Number(text.trim());
    }
    if (!pid) return ageMs < WRITING_GRACE_MS ? { kind: 'held', pid: 0 } : { kind: 'stale' };
    if (!alive(pid)) return { kind: 'stale' };
    if (start !== null) {
      const now = processStartTime(pid);
      if (now !== null && now !== start) return { kind: 'stale' }; // the pid was reused
    }
    return { kind: 'held', pid };
  }

  /** The live holder's pid, or null when nobody holds the lock (0 when one is being taken right now). */
  holder(): number | null {
    const s = this.state();
    return s.kind === 'held' ? s.pid : null;
  }

  private tryCreate(): boolean {
    let fd: number;
    try {
      fd = openSync(this.path, 'wx');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw e;
    }
    try {
      writeSync(fd, JSON.stringify({ pid: process.pid, start: processStartTime(process.pid) }));
    } finally {
      closeSync(fd);
    }
    this.held = true;
    return true;
  }

  acquire(): void {
    mkdirSync(join(this.path, '..'), { recursive: true });
    if (this.tryCreate()) return;
    const s = this.state();
    // A lock this very process left behind (an earlier session in the same extension host) is taken over.
    if (s.kind === 'held' && s.pid !== process.pid) throw new Error(`a search is already running on this experiment${s.pid ? ` (pid ${s.pid})` : ''}`);
    // Stale (or just released): take it over under a takeover marker, re-checking there, so two
    // processes that both saw it stale never remove each other's fresh lock.
    const marker = `${this.path}.takeover`;
    try {
      if (Date.now() - statSync(marker).mtimeMs > TAKEOVER_STALE_MS) rmSync(marker, { force: true });
    } catch {
      // no marker
    }
    let markerFd: number;
    try {
      markerFd = openSync(marker, 'wx');
    } catch {
      throw new Error('a search is already starting on this experiment');
    }
    try {
      const again = this.state();
      const mine = again.kind === 'held' && again.pid === process.pid;
      if (again.kind === 'held' && !mine) throw new Error(`a search is already running on this experiment${again.pid ? ` (pid ${again.pid})` : ''}`);
      if (again.kind === 'stale' || mine) rmSync(this.path, { force: true });
      if (!this.tryCreate()) throw new Error('a search is already running on this experiment');
    } finally {
      closeSync(markerFd);
      rmSync(marker, { force: true });
    }
  }

  release(): void {
    if (this.held) rmSync(this.path, { force: true });
    this.held = false;
  }
}
