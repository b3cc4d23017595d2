// Runs one argv as a confined process: in a node's folder, with a scrubbed environment, a
// wall-clock limit, an output limit and a file-size limit, and where the machine allows (see
// isolation.ts) without network, with a private pid space and a read-only view of everything
// outside the node's writable folders; credential folders in the home directory are hidden.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { isSecretEnvName } from '../secrets';
import { trustedFoldersPath } from '../llm/config';
import { detectIsolation, type Isolation } from './isolation';

export interface ConfinedCommand {
  argv: string[];
  /** The node folder: the working directory, read-only inside the sandbox except `writable`. */
  nodeDir: string;
  /** Absolute folders under nodeDir the command may write (created when missing); default nodeDir/work. */
  writable?: string[];
  timeoutMs: number;
  maxOutputBytes: number;
  /** Largest file the command may write (RLIMIT_FSIZE), so it cannot fill the disk. */
  maxFileBytes: number;
  /** Extra variables (credential-like names are dropped). */
  env?: Record<string, string>;
  isolation?: Isolation;
  signal?: AbortSignal;
}

export interface ConfinedResult {
  exitCode: number | null;
  /** Output (stdout and stderr interleaved), at most maxOutputBytes. */
  output: string;
  timedOut: boolean;
  outputLimited: boolean;
  aborted: boolean;
  isolation: Isolation;
}

/** Exit code of the wrapper when it could not set the confinement up (the command never ran). */
export const SETUP_FAILED = 125;

/** Credential stores in the home directory that a confined command never sees, even read-only. */
function hiddenPaths(env: NodeJS.ProcessEnv): string[] {
  const home = homedir();
  const names = ['.ssh', '.aws', '.azure', '.gnupg', '.netrc', '.docker', '.kube', '.git-credentials', '.pypirc', '.config', '.cache/huggingface/token', '.huggingface'];
  const out = names.map((n) => join(home, n));
  out.push(dirname(trustedFoldersPath(env)));
  if (env.TREX_LLM_CONFIG) out.push(resolve(env.TREX_LLM_CONFIG));
  return [...new Set(out)].filter((p) => existsSync(p));
}

// unshare: runs as root of a new user namespace; makes every mount read-only except the writable
// folders, hides the credential paths, checks the result, then limits file size and execs.
const UNSHARE_SH = `
node=$0; fsize=$1; shift
fail() { echo "trex sandbox: $*" >&2; exit 125; }
mount --make-rprivate / || fail "cannot make mounts private"
n=$1; shift; w=(); for ((i=0;i<n;i++)); do w+=("$1"); shift; done
n=$1; shift; h=(); for ((i=0;i<n;i++)); do h+=("$1"); shift; done
for p in "\${w[@]}"; do mount --bind -- "$p" "$p" || fail "cannot bind $p"; done
for p in "\${h[@]}"; do
  if [ -d "$p" ]; then mount -t tmpfs -o size=4k,mode=700 tmpfs "$p" || fail "cannot hide $p"
  elif [ -e "$p" ]; then mount --bind /dev/null "$p" || fail "cannot hide $p"; fi
done
while read -r _ _ _ _ mp _; do mount -o remount,bind,ro -- "$(printf '%b' "$mp")" 2>/dev/null; done < /proc/self/mountinfo
for p in "\${w[@]}"; do mount -o remount,bind,rw -- "$p" || fail "cannot make $p writable"; done
while read -r _ _ _ _ mp opts _; do
  mp=$(printf '%b' "$mp"); ok=0
  case ",$opts," in *,ro,*) ok=1 ;; esac
  for p in "\${w[@]}"; do [ "$mp" = "$p" ] && ok=1; done
  case "$mp" in /dev|/dev/*|/proc|/proc/*) ok=1 ;; esac
  [ $ok = 1 ] || fail "$mp is still writable"
done < /proc/self/mountinfo
ulimit -f "$fsize"; cd -- "$node" || fail "no node folder"
exec "$@"
`;
const LIMIT_SH = 'ulimit -f "$0" && exec "$@"';

/** The full argv that runs `cmd` under the given isolation. */
export function confinedArgv(kind: Isolation, cmd: ConfinedCommand, writable: string[], hidden: string[]): string[] {
  const fsizeBlocks = String(Math.max(1, Math.ceil(cmd.maxFileBytes / 1024)));
  if (kind === 'unshare') return ['unshare', '-rnmpf', '--mount-proc', '--kill-child', 'bash', '-c', UNSHARE_SH, cmd.nodeDir, fsizeBlocks, String(writable.length), ...writable, String(hidden.length), ...hidden, ...cmd.argv];
  if (kind === 'bwrap') {
    const args = ['bwrap', '--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc'];
    for (const p of writable) args.push('--bind', p, p);
    for (const p of hidden) args.push(...(isDir(p) ? ['--tmpfs', p, '--remount-ro', p] : ['--ro-bind', '/dev/null', p]));
    args.push('--unshare-all', '--die-with-parent', '--new-session', '--chdir', cmd.nodeDir, 'bash', '-c', LIMIT_SH, fsizeBlocks, ...cmd.argv);
    return args;
  }
  return ['bash', '-c', LIMIT_SH, fsizeBlocks, ...cmd.argv];
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** Environment for a confined command: no credential-like variable, even ones the user passes to stages. */
export function confinedEnv(extra: Record<string, string> = {}, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries({ ...base, ...extra })) if (v !== undefined && !isSecretEnvName(k) && k !== 'TREX_PASS_ENV') out[k] = v;
  return out;
}

export function runConfined(cmd: ConfinedCommand): Promise<ConfinedResult> {
  const kind = cmd.isolation ?? detectIsolation();
  const nodeDir = resolve(cmd.nodeDir);
  const writable = (cmd.writable ?? [join(nodeDir, 'work')]).map((p) => resolve(p));
  for (const p of writable) {
    if (!isAbsolute(p) || (p !== nodeDir && !p.startsWith(nodeDir + sep))) throw new Error(`writable folder ${p} is outside the node folder`);
    mkdirSync(p, { recursive: true });
  }
  const argv = confinedArgv(kind, { ...cmd, nodeDir }, writable, kind === 'none' ? [] : hiddenPaths(process.env));
  const env = confinedEnv({ ...cmd.env, TMPDIR: writable[0] ?? nodeDir });
  return new Promise((done) => {
    const child = spawn(argv[0], argv.slice(1), { cwd: nodeDir, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let size = 0;
    const r = { timedOut: false, outputLimited: false, aborted: false };
    let finished = false;
    // The whole process group goes: the wrapper, and with it (pid namespace) everything it started.
    const kill = () => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const onData = (b: Buffer) => {
      if (r.outputLimited) return;
      const room = cmd.maxOutputBytes - size;
      if (b.length > room) {
        chunks.push(b.subarray(0, room));
        size += room;
        r.outputLimited = true;
        kill();
        return;
      }
      chunks.push(b);
      size += b.length;
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const timer = setTimeout(() => {
      r.timedOut = true;
      kill();
    }, cmd.timeoutMs);
    const onAbort = () => {
      r.aborted = true;
      kill();
    };
    cmd.signal?.addEventListener('abort', onAbort, { once: true });
    const finish = (code: number | null) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      cmd.signal?.removeEventListener('abort', onAbort);
      done({ exitCode: code, output: Buffer.concat(chunks).toString('utf8'), isolation: kind, ...r });
    };
    child.on('error', (e) => {
      chunks.push(Buffer.from(`\n${e.message}\n`));
      finish(null);
    });
    child.on('close', (code) => finish(code));
    // A killed command may leave an orphan holding the pipes open (no isolation): do not wait on it.
    child.on('exit', (code) => {
      if (r.timedOut || r.outputLimited || r.aborted) {
        child.stdout.destroy();
        child.stderr.destroy();
        finish(code);
      }
    });
  });
}
