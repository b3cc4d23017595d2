// Which OS isolation this machine gives a confined command: bubblewrap when installed and usable,
// else util-linux unshare (user, mount, pid and network namespaces), else none. Probed once by
// running `true` inside it, since both can be installed yet refused (no user namespaces).
import { spawnSync } from 'node:child_process';

export type Isolation = 'bwrap' | 'unshare' | 'none';

let cached: Isolation | undefined;

function works(cmd: string, args: string[]): boolean {
  try {
    const r = spawnSync(cmd, args, { stdio: 'ignore', timeout: 10_000 });
    return r.status === 0;
  } catch {
    return false;
  }
}

/** The isolation in effect for model-written commands on this machine (TREX_ISOLATION=none turns it off). */
export function detectIsolation(): Isolation {
  if (cached) return cached;
  if (process.platform !== 'linux' || process.env.TREX_ISOLATION === 'none') cached = 'none';
  else if (process.env.TREX_ISOLATION !== 'unshare' && works('bwrap', ['--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--unshare-all', '--die-with-parent', 'true'])) cached = 'bwrap';
  else if (works('unshare', ['-rnmpf', '--mount-proc', '--kill-child', 'true'])) cached = 'unshare';
  else cached = 'none';
  return cached;
}

/** One line for `trex doctor`. */
export function describeIsolation(kind: Isolation = detectIsolation()): string {
  if (kind === 'bwrap') return 'bubblewrap: model-written commands run without network, read-only outside their node';
  if (kind === 'unshare') return 'unshare (user, mount, pid and network namespaces): model-written commands run without network, read-only outside their node';
  return 'none: the Executor may only run read-only inspection commands and the node\'s own stages (install bubblewrap, or allow unprivileged user namespaces)';
}
