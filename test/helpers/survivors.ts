// Processes left behind by a command that was killed. The kernel kills a namespace's processes
// when its init dies but reaps them asynchronously, and under load that takes a while: wait for it
// (bounded) instead of reading `ps` at one instant.
import { execFileSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';

/** Processes whose command line is exactly `args`, zombies excluded. */
function running(args: string): string[] {
  return execFileSync('ps', ['-eo', 'stat=,args='], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter(([stat, ...rest]) => stat && !stat.startsWith('Z') && rest.join(' ') === args)
    .map((fields) => fields.join(' '));
}

/** The processes still running `args` once the kernel has had up to `waitMs` to reap them. */
export async function survivors(args: string, waitMs = 10_000): Promise<string[]> {
  const deadline = Date.now() + waitMs;
  while (running(args).length > 0 && Date.now() < deadline) await sleep(100);
  return running(args);
}
