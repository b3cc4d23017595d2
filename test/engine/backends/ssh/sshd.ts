// Test harness: a real OpenSSH server on a free 127.0.0.1 port, with generated host and user keys,
// an ssh config and a known_hosts file for the client, all in one temp dir. It can stop, restart
// (same port and keys), rotate its host key, and drop every live connection (SIGKILL of the
// per-connection sshd processes, never the listener and never the jobs they launched).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

// See writeServerConfig: pyenv's rehash lock must not stall sessions.
const SESSION_ENV = 'PYENV_REHASH_TIMEOUT=1';

export const SSHD = '/usr/sbin/sshd';

export function sshdAvailable(): boolean {
  return existsSync(SSHD) && spawnSync('ssh-keygen', ['-?'], { stdio: 'ignore' }).error === undefined;
}

function keygen(path: string, comment: string): void {
  rmSync(path, { force: true });
  rmSync(`${path}.pub`, { force: true });
  const r = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', path], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ssh-keygen failed: ${r.stderr}`);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}


/** Children of a pid, from /proc. */
export function childPids(parent: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // Fields after the command, which is in parentheses and may contain spaces.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === parent) out.push(Number(name));
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

function comm(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

const live = new Set<SshdHarness>();
process.on('exit', () => {
  for (const h of live) h.killNow();
});

export class SshdHarness {
  readonly dir: string;
  readonly user = userInfo().username;
  /** Host alias of the generated ssh config that logs in with the authorized key. */
  readonly host = 'trex-test';
  readonly sshConfigPath: string;
  readonly knownHostsPath: string;
  readonly userKeyPath: string;
  readonly otherKeyPath: string;
  readonly hostKeyPath: string;
  readonly logPath: string;
  private proc?: ChildProcess;

  private constructor(readonly port: number) {
    this.dir = mkdtempSync(join(tmpdir(), 'trex-sshd-'));
    this.sshConfigPath = join(this.dir, 'ssh_config');
    this.knownHostsPath = join(this.dir, 'known_hosts');
    this.userKeyPath = join(this.dir, 'id_user');
    this.otherKeyPath = join(this.dir, 'id_other');
    this.hostKeyPath = join(this.dir, 'host_key');
    this.logPath = join(this.dir, 'sshd.log');
  }

  static async start(): Promise<SshdHarness> {
    const h = new SshdHarness(await freePort());
    live.add(h);
    keygen(h.hostKeyPath, 'trex-test-host');
    keygen(h.userKeyPath, 'trex-test-user');
    keygen(h.otherKeyPath, 'trex-test-not-authorized');
    writeFileSync(join(h.dir, 'authorized_keys'), readFileSync(`${h.userKeyPath}.pub`));
    h.writeServerConfig();
    h.writeKnownHosts();
    h.writeClientConfig();
    await h.launch();
    return h;
  }

  /** Environment that points TREX at this harness instead of ~/.ssh. */
  env(): Record<string, string> {
    return { TREX_SSH_CONFIG: this.sshConfigPath, TREX_KNOWN_HOSTS: this.knownHostsPath };
  }

  /** `ssh` arguments for the plain OpenSSH client against this server. */
  sshArgs(): string[] {
    return ['-F', this.sshConfigPath, '-o', 'BatchMode=yes', this.host];
  }

  hostPublicKeyLine(): string {
    const [type, b64] = readFileSync(`${this.hostKeyPath}.pub`, 'utf8').trim().split(/\s+/);
    return `[127.0.0.1]:${this.port} ${type} ${b64}`;
  }

  writeKnownHosts(path = this.knownHostsPath): void {
    writeFileSync(path, this.hostPublicKeyLine() + '\n');
  }

  /** Aliases: trex-test (good key), trex-wrongkey (key not authorized), trex-wronguser (no such user). */
  writeClientConfig(extra = ''): void {
    const entry = (alias: string, user: string, key: string) =>
      [`Host ${alias}`, '  HostName 127.0.0.1', `  Port ${this.port}`, `  User ${user}`, `  IdentityFile ${key}`, '  IdentitiesOnly yes', `  UserKnownHostsFile ${this.knownHostsPath}`, '  StrictHostKeyChecking yes', ''].join('\n');
    writeFileSync(
      this.sshConfigPath,
      entry(this.host, this.user, this.userKeyPath) + entry('trex-wrongkey', this.user, this.otherKeyPath) + entry('trex-wronguser', 'trex-no-such-user', this.userKeyPath) + extra,
    );
  }

  /** Adds variables to every session's environment (sshd keeps only its first SetEnv line, so there is one). */
  addSessionEnv(vars: string): void {
    const path = join(this.dir, 'sshd_config');
    writeFileSync(path, readFileSync(path, 'utf8').replace(/^SetEnv (.*)$/m, (_m, old: string) => `SetEnv ${vars} ${old}`));
  }

  private writeServerConfig(): void {
    writeFileSync(
      join(this.dir, 'sshd_config'),
      [
        'ListenAddress 127.0.0.1',
        `Port ${this.port}`,
        `HostKey ${this.hostKeyPath}`,
        `PidFile ${join(this.dir, 'sshd.pid')}`,
        `AuthorizedKeysFile ${join(this.dir, 'authorized_keys')}`,
        'PubkeyAuthentication yes',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'PermitRootLogin prohibit-password',
        'StrictModes no',
        'UsePAM no',
        'AllowTcpForwarding yes',
        'X11Forwarding no',
        'PrintMotd no',
        'MaxSessions 20',
        'MaxStartups 100:30:200',
        'LogLevel VERBOSE',
        // bash reads ~/.bashrc under sshd; where that runs `pyenv init`, every remote command
        // rehashes, and a rehash killed by a dropped-connection test leaves pyenv's lock behind:
        // each later command would then wait 60 s for it. A short wait keeps the sessions honest.
        `SetEnv ${SESSION_ENV}`,
        '',
      ].join('\n'),
    );
  }

  private async launch(): Promise<void> {
    if (process.getuid?.() === 0) mkdirSync('/run/sshd', { recursive: true }); // privilege separation dir
    const log = openSync(this.logPath, 'a');
    const proc = spawn(SSHD, ['-D', '-e', '-f', join(this.dir, 'sshd_config')], { stdio: ['ignore', log, log] });
    closeSync(log);
    this.proc = proc;
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (proc.exitCode !== null) throw new Error(`sshd exited with ${proc.exitCode}: ${readFileSync(this.logPath, 'utf8').slice(-2000)}`);
      if (await canConnect(this.port)) return;
      await sleep(50);
    }
    throw new Error(`sshd did not listen on 127.0.0.1:${this.port}: ${readFileSync(this.logPath, 'utf8').slice(-2000)}`);
  }

  get listenerPid(): number | undefined {
    return this.proc?.exitCode === null ? this.proc.pid : undefined;
  }

  /** The sshd processes serving live connections: the listener's descendants that are sshd. */
  connectionPids(): number[] {
    const root = this.proc?.pid;
    if (!root) return [];
    const found: number[] = [];
    const walk = (pid: number) => {
      for (const c of childPids(pid)) {
        if (comm(c).startsWith('sshd')) {
          found.push(c);
          walk(c);
        }
      }
    };
    walk(root);
    return found;
  }

  /** Kills every live connection abruptly; the listener stays. Returns how many were served. */
  dropConnections(): number {
    const listener = this.proc?.pid;
    const direct = listener ? childPids(listener).filter((p) => comm(p).startsWith('sshd')) : [];
    for (const pid of this.connectionPids()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    return direct.length;
  }

  async stop(): Promise<void> {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null) return;
    this.dropConnections();
    const exited = new Promise<void>((r) => proc.once('exit', () => r()));
    proc.kill('SIGTERM');
    await Promise.race([exited, sleep(5000).then(() => proc.kill('SIGKILL'))]);
    await exited;
    this.proc = undefined;
  }

  /** Same port, same keys (unless rotated). */
  async restart(downMs = 0): Promise<void> {
    await this.stop();
    if (downMs) await sleep(downMs);
    await this.launch();
  }

  /** A new host key, as after a reinstall (or an attacker in the middle); known_hosts keeps the old one. */
  async rotateHostKey(): Promise<void> {
    await this.stop();
    keygen(this.hostKeyPath, 'trex-test-host-rotated');
    await this.launch();
  }

  /** Synchronous last resort at process exit: only our listener and its connections. */
  killNow(): void {
    for (const pid of this.connectionPids()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    if (this.proc?.exitCode === null) this.proc.kill('SIGKILL');
  }

  async cleanup(): Promise<void> {
    await this.stop();
    live.delete(this);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
