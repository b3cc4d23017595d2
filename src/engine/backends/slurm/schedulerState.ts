// What a SLURM job state means for a TREX stage. Slurm has many states; a stage only needs to know
// whether the job may still produce output (waiting or active) or is over for good (terminal).
// Requeued and preempted-then-requeued jobs go back to PENDING/REQUEUED, so they count as waiting.

export type SchedulerPhase = 'waiting' | 'active' | 'ending' | 'terminal';

const WAITING = new Set(['PENDING', 'REQUEUED', 'REQUEUE_HOLD', 'REQUEUE_FED', 'CONFIGURING', 'RESV_DEL_HOLD', 'SPECIAL_EXIT', 'SUSPENDED', 'STOPPED']);
const ACTIVE = new Set(['RUNNING', 'RESIZING', 'SIGNALING', 'STAGE_OUT']);
/** The batch script has ended; epilog and cleanup run. The run folder's exit_code is final. */
const ENDING = new Set(['COMPLETING']);
const TERMINAL = new Set(['COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT', 'NODE_FAIL', 'PREEMPTED', 'BOOT_FAIL', 'DEADLINE', 'OUT_OF_MEMORY', 'REVOKED']);

/** Normalizes `CANCELLED by 0`, `CANCELLED+`, lower case; returns undefined for a state we do not know. */
export function normalizeState(raw: string): string | undefined {
  const state = raw.trim().toUpperCase().split(/[\s+]/)[0];
  if (WAITING.has(state) || ACTIVE.has(state) || ENDING.has(state) || TERMINAL.has(state)) return state;
  return undefined;
}

export function phaseOf(state: string): SchedulerPhase {
  if (WAITING.has(state)) return 'waiting';
  if (ACTIVE.has(state)) return 'active';
  if (ENDING.has(state)) return 'ending';
  return 'terminal';
}

/**
 * Exit code for a terminal job whose batch script could not write one (killed before it ran, or
 * SIGKILLed): the scheduler's own code when it has one, else what the shell would have reported.
 */
export function exitCodeForTerminal(state: string, schedulerExit?: number): number {
  switch (state) {
    case 'COMPLETED':
      return schedulerExit ?? 0;
    case 'CANCELLED':
    case 'PREEMPTED':
    case 'DEADLINE':
      return 143; // SIGTERM, as after a local cancel
    case 'TIMEOUT':
      return 124; // like timeout(1)
    case 'OUT_OF_MEMORY':
      return 137;
    default:
      return schedulerExit && schedulerExit !== 0 ? schedulerExit : 1;
  }
}

