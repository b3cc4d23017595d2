// One shell round trip that probes a machine: the shell tools stages use, then each candidate
// python in turn runs trainer/trex_probe.py (sent inline: the host needs nothing but a python)
// until one imports torch. Used by the ssh preflight, `trex doctor` and its local form alike.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { shellJoin, shellQuote } from '../backends/ssh/quote';
import { parseProbeReport, type ProbeReport } from './probeReport';

export const REQUIRED_TOOLS = ['bash', 'tar', 'setsid', 'tail', 'head', 'df', 'mkdir', 'mv'];
export const PROBE_FILE = 'trex_probe.py';
/** trex_probe.py's exit status when python runs but torch does not import. */
const NO_TORCH = 3;

export interface PythonAttempt {
  /** As configured (python3) or as found on the host (/usr/bin/python3). */
  python: string;
  found: boolean;
  rc?: number;
  report?: ProbeReport;
  /** Why the probe gave no report (python broken, output unreadable). */
  error?: string;
}

export interface HostProbe {
  missingTools: string[];
  attempts: PythonAttempt[];
  /** The first python that imports torch, else the last one that reported at all. */
  chosen?: { path: string; report: ProbeReport };
}

export function probeSource(runnerDir: string): string {
  return readFileSync(join(runnerDir, PROBE_FILE), 'utf8');
}

/** `create`: make the work dir (preflight); without it, disk is measured at its nearest existing folder. */
export function hostProbeScript(workDir: string, pythons: readonly string[], source: string, create: boolean): string {
  return [
    `root=${shellQuote(workDir)}`,
    `probe=${shellQuote(source)}`,
    `for t in ${REQUIRED_TOOLS.join(' ')}; do command -v "$t" >/dev/null 2>&1 || printf 'missing\\t%s\\n' "$t"; done`,
    `set -- ${shellJoin(pythons)}`,
    'for py in "$@"; do',
    '  case $py in */*) [ -x "$py" ] && path=$py || path= ;; *) path=$(command -v "$py" 2>/dev/null) || path= ;; esac',
    `  if [ -z "$path" ]; then printf 'nopython\\t%s\\n' "$py"; continue; fi`,
    `  out=$("$path" -c "$probe" "$root"${create ? ' --create' : ''} 2>&1); rc=$?`,
    `  printf 'probe\\t%s\\t%s\\t%s\\n' "$path" "$rc" "$(printf '%s\\n' "$out" | tail -n 1 | tr '\\t' ' ')"`,
    '  [ "$rc" = 0 ] && break',
    'done',
    'echo end',
  ].join('\n');
}

/** Reads the tagged lines; unknown or missing lines are an error, never skipped. */
export function parseHostProbe(output: string): HostProbe {
  const probe: HostProbe = { missingTools: [], attempts: [] };
  const lines = output.split('\n').filter((l) => l.trim() !== '');
  if (lines[lines.length - 1] !== 'end') throw new Error(`probe output is incomplete: ${JSON.stringify(output.slice(-300))}`);
  for (const line of lines.slice(0, -1)) {
    const [tag, ...rest] = line.split('\t');
    switch (tag) {
      case 'missing':
        probe.missingTools.push(rest[0] ?? '');
        break;
      case 'nopython':
        probe.attempts.push({ python: rest[0] ?? '', found: false });
        break;
      case 'probe': {
        const [path, rcText, last = ''] = rest;
        if (!path || !/^\d+$/.test(rcText ?? '')) throw new Error(`unexpected probe line: ${JSON.stringify(line.slice(0, 200))}`);
        const rc = Number(rcText);
        const attempt: PythonAttempt = { python: path, found: true, rc };
        if (rc === 0 || rc === NO_TORCH) attempt.report = parseProbeReport(last);
        else attempt.error = last.trim().slice(0, 300) || `exit status ${rc}`;
        probe.attempts.push(attempt);
        break;
      }
      default:
        throw new Error(`unexpected probe output: ${JSON.stringify(line.slice(0, 200))}`);
    }
  }
  const reported = probe.attempts.filter((a) => a.report);
  const pick = reported.find((a) => a.rc === 0) ?? reported[reported.length - 1];
  if (pick?.report) probe.chosen = { path: pick.python, report: pick.report };
  return probe;
}
