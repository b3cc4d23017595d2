// One supervised SSH connection (node-ssh over ssh2) to a host, through its jump hosts. It
// verifies host keys against known_hosts, authenticates with the configured keys and ssh-agent,
// keeps the link alive, and reconnects with backoff when it drops. Commands run as short execs
// with exact byte output; callers never rely on a channel surviving a reconnect.
import { NodeSSH } from 'node-ssh';
import type { Duplex } from 'node:stream';
import { BackendError } from '../backend';
import { authFailedError, authMethods } from './auth';
import { ConnectionLostError, DEFAULT_EXEC_TIMEOUT_MS, execOnChannel, type ChannelLink, type ExecOptions, type ExecResult } from './channelExec';
import { describeTarget, type SshTarget } from './config';
import { hostKeyHint, judgeHostKey, keyTypeOf, unknownHostError, type HostKeyRefusal } from './hostTrust';
import { fingerprintSha256, knownHostKeyAlgorithms, knownHostsName, loadKnownHosts, recordHostKey } from './knownHosts';
import { shellQuote } from './quote';
import { CommandSession, SessionError } from './session';
import type { Ssh2Channel, Ssh2Client, Ssh2ConnectConfig, Ssh2Error } from './ssh2Types';
import { sleep } from '../../util/sleep';

// Unique per connection object: two connections of one process may share a remote work dir.
let connectionCounter = 0;

export { ConnectionLostError, type ExecOptions, type ExecResult } from './channelExec';

export interface ConnectionOptions {
  target: SshTarget;
  /** Record an unknown host key without asking (CLI --accept-new-host). */
  acceptNewHost?: boolean;
  /** Asks the user about an unknown host (VS Code prompt); true records the key. */
  confirmNewHost?: (host: string, fingerprint: string) => Promise<boolean>;
  keepaliveIntervalMs?: number;
  keepaliveCountMax?: number;
  readyTimeoutMs?: number;
  /** How long to keep trying to reconnect after a connection that worked drops. */
  reconnectTimeoutMs?: number;
  /** How long to retry the very first connection on network errors (refused, reset). */
  initialConnectTimeoutMs?: number;
  /** Concurrent plain exec channels per connection (OpenSSH MaxSessions defaults to 10). */
  maxChannels?: number;
  /** Long-lived command sessions per connection (see session.ts); they count as channels too. */
  maxCommandSessions?: number;
  log?: (line: string) => void;
}

interface Live {
  id: number;
  client: Ssh2Client;
  /** node-ssh sessions, jump hosts first, the target last. */
  hops: NodeSSH[];
  closed: boolean;
  onClose: Set<() => void>;
  /** Command sessions open on this link, and how many are starting. */
  pool: CommandSession[];
  opening: number;
  poolWaiters: (() => void)[];
}

const PREFERRED_CIPHERS = ['aes128-gcm@openssh.com', 'aes256-gcm@openssh.com', 'chacha20-poly1305@openssh.com', 'aes128-ctr', 'aes192-ctr', 'aes256-ctr'];

export class SshConnection {
  readonly target: SshTarget;
  /** Counters for views and tests. */
  readonly stats = { connects: 0, reconnects: 0, drops: 0 };
  private current?: Live;
  private connecting?: Promise<Live>;
  private everConnected = false;
  private closing = false;
  private nextId = 1;
  private channelsInUse = 0;
  private readonly waiting: (() => void)[] = [];
  private sessionDir?: string;
  private readonly tag = `c${++connectionCounter}-${Math.random().toString(36).slice(2, 8)}`;

  constructor(private readonly opts: ConnectionOptions) {
    this.target = opts.target;
  }

  get describe(): string {
    return describeTarget(this.target);
  }

  get connected(): boolean {
    return !!this.current && !this.current.closed;
  }

  /** Connects now (or fails with the reason); later calls reuse the link. */
  async ensureConnected(): Promise<void> {
    await this.live();
  }

  /** Runs one command; stdout comes back byte-exact. Network drops retry when `retry` is set. */
  exec(command: string, opts: ExecOptions = {}): Promise<ExecResult> {
    return this.withRetry(opts.retry !== false, async (live) => {
      const session = this.sessionDir && opts.session !== false ? await this.acquireSession(live, this.sessionDir) : undefined;
      if (!session) return this.withChannel(() => execOnChannel(live.client, command, opts, this.linkOf(live)));
      return this.inSession(live, session, opts.timeoutMs ?? DEFAULT_EXEC_TIMEOUT_MS, (s) => s.run(command, opts.stdin, opts.maxStdoutBytes ?? 256 << 20));
    });
  }

  /** Bytes [offset, offset + maxBytes) of a file that only grows (a log); empty when it is absent. Retries drops. */
  readRange(path: string, offset: number, maxBytes: number): Promise<Buffer> {
    return this.withRetry(true, async (live) => {
      const session = this.sessionDir ? await this.acquireSession(live, this.sessionDir) : undefined;
      if (session) return this.inSession(live, session, 60_000, (s) => s.readRange(path, offset, maxBytes));
      const f = shellQuote(path);
      const r = await this.withChannel(() => execOnChannel(live.client, `[ -f ${f} ] || exit 0; tail -c +${offset + 1} -- ${f} | head -c ${maxBytes}`, { maxStdoutBytes: maxBytes }, this.linkOf(live)));
      if (r.code !== 0) throw new BackendError(`ssh ${this.describe}: reading ${path} failed: ${r.stderr.trim() || `exit ${r.code}`}`);
      return r.stdout;
    });
  }

  private async withRetry<T>(retry: boolean, fn: (live: Live) => Promise<T>): Promise<T> {
    const attempts = retry ? 20 : 1;
    for (let i = 1; ; i++) {
      const live = await this.live();
      try {
        return await fn(live);
      } catch (e) {
        if (!(e instanceof ConnectionLostError) || i >= attempts || this.closing) throw e;
        this.log(`command interrupted (${e.message}); retrying on a fresh connection`);
        this.drop(live);
      }
    }
  }

  /**
   * From now on, commands run in long-lived sessions whose temp files go under `dir` (a folder of
   * the experiment's remote work dir). Until then, and if a session cannot start, plain execs.
   */
  useCommandSessions(dir: string): void {
    this.sessionDir = dir;
  }

  /** Runs `fn` on an acquired session with a time limit; a stalled link is dropped for the caller to retry. */
  private async inSession<T>(live: Live, session: CommandSession, timeoutMs: number, fn: (s: CommandSession) => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        fn(session),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            reject(new ConnectionLostError(`no answer within ${Math.round(timeoutMs / 1000)} s`));
            this.drop(live);
          }, timeoutMs);
        }),
      ]);
    } catch (e) {
      if (e instanceof SessionError) throw new ConnectionLostError(e.message);
      throw e;
    } finally {
      clearTimeout(timer);
      session.busy = false;
      if (!session.alive) live.pool = live.pool.filter((s) => s !== session);
      live.poolWaiters.shift()?.();
    }
  }

  /** An idle session of this link, a new one while under the limit, or the next one freed. */
  private async acquireSession(live: Live, dir: string): Promise<CommandSession | undefined> {
    const max = this.opts.maxCommandSessions ?? 3;
    for (;;) {
      if (live.closed) throw new ConnectionLostError('connection dropped');
      live.pool = live.pool.filter((s) => s.alive);
      const idle = live.pool.find((s) => !s.busy);
      if (idle) {
        idle.busy = true;
        return idle;
      }
      if (live.pool.length + live.opening < max) {
        live.opening++;
        try {
          const s = await CommandSession.open(live.client, `${dir}/session-${process.pid}-${this.tag}-${live.id}-${this.nextId++}`, this.opts.readyTimeoutMs ?? 30_000);
          s.busy = true;
          live.pool.push(s);
          if (live.closed) s.close();
          return s;
        } catch (e) {
          if (live.closed || !(e instanceof SessionError) || !e.permanent) throw new ConnectionLostError(`command session: ${(e as Error).message}`);
          // No bash, or an unwritable work dir: plain execs still work, only slower.
          this.log(`command sessions unavailable (${(e as Error).message}); using one exec per command`);
          this.sessionDir = undefined;
          return undefined;
        } finally {
          live.opening--;
        }
      }
      await new Promise<void>((r) => live.poolWaiters.push(r));
    }
  }

  /** How a plain exec learns that its link closed, and reports a stall. */
  private linkOf(live: Live): ChannelLink {
    return { closed: () => live.closed, onClose: live.onClose, stalled: () => this.drop(live) };
  }

  /** Drops the current link so the next command reconnects (tests, stalled links). */
  disconnect(): void {
    if (this.current) this.drop(this.current);
  }

  async close(): Promise<void> {
    this.closing = true;
    const pending = this.connecting;
    if (pending) await pending.then(() => undefined, () => undefined);
    if (this.current) this.drop(this.current);
  }

  private log(line: string): void {
    this.opts.log?.(`ssh ${this.target.alias}: ${line}`);
  }

  private async withChannel<T>(fn: () => Promise<T>): Promise<T> {
    const max = this.opts.maxChannels ?? 8;
    while (this.channelsInUse >= max) await new Promise<void>((r) => this.waiting.push(r));
    this.channelsInUse++;
    try {
      return await fn();
    } finally {
      this.channelsInUse--;
      this.waiting.shift()?.();
    }
  }

  private drop(live: Live): void {
    if (!live.closed) this.stats.drops++;
    live.closed = true;
    for (const s of live.pool) s.close();
    for (const s of [...live.hops].reverse()) {
      try {
        clientOf(s)?.destroy();
      } catch {
        // already gone
      }
    }
    for (const f of live.onClose) f();
    for (const w of live.poolWaiters.splice(0)) w();
    if (this.current === live) this.current = undefined;
  }

  private live(): Promise<Live> {
    if (this.closing) return Promise.reject(new BackendError(`ssh connection to ${this.describe} is closed`));
    if (this.current && !this.current.closed) return Promise.resolve(this.current);
    if (!this.connecting) {
      this.connecting = this.connectWithBackoff().finally(() => {
        this.connecting = undefined;
      });
    }
    return this.connecting;
  }

  private async connectWithBackoff(): Promise<Live> {
    const wasConnected = this.everConnected;
    const windowMs = wasConnected ? (this.opts.reconnectTimeoutMs ?? 600_000) : (this.opts.initialConnectTimeoutMs ?? 3_000);
    const deadline = Date.now() + windowMs;
    let delay = 200;
    for (;;) {
      try {
        const live = await this.connectOnce();
        this.everConnected = true;
        this.stats.connects++;
        if (wasConnected) {
          this.stats.reconnects++;
          this.log('reconnected');
        }
        if (this.closing) {
          this.drop(live);
          throw new BackendError(`ssh connection to ${this.describe} is closed`);
        }
        this.current = live;
        return live;
      } catch (e) {
        if (e instanceof BackendError || this.closing) throw e;
        if (Date.now() + delay > deadline) {
          throw new BackendError(
            `cannot reach ${this.describe}: ${(e as Error).message}` + (wasConnected ? ` (still down after ${Math.round(windowMs / 1000)} s of retries)` : ''),
            'Check that the host is up and that HostName/Port in your ssh config (or compute.ssh in trex.yaml) are right.',
          );
        }
        this.log(`connect failed (${(e as Error).message}); retrying in ${delay} ms`);
        await sleep(delay);
        delay = Math.min(delay * 2, 5_000);
      }
    }
  }

  /** One attempt through every hop. Throws BackendError for what retrying cannot fix. */
  private async connectOnce(): Promise<Live> {
    const hops = [...this.target.jumps, this.target];
    const live: Live = { id: this.nextId++, client: undefined as unknown as Ssh2Client, hops: [], closed: false, onClose: new Set(), pool: [], opening: 0, poolWaiters: [] };
    let sock: Duplex | undefined;
    try {
      for (const hop of hops) {
        const session = await this.connectHop(hop, sock);
        live.hops.push(session);
        const client = clientOf(session)!;
        live.client = client;
        // After node-ssh's connect resolves it no longer listens for errors; an unhandled
        // 'error' event would crash the process, so we own them from here on.
        client.on('error', (err: Ssh2Error) => this.log(`connection error (${err.level ?? 'unknown'}): ${err.message}`));
        client.on('close', () => {
          if (!live.closed) {
            this.log('connection closed');
            this.drop(live);
          }
        });
        if (hop !== this.target) sock = await forwardOut(client, hops[hops.indexOf(hop) + 1]);
      }
      return live;
    } catch (e) {
      this.drop(live);
      throw e;
    }
  }

  private async connectHop(hop: SshTarget, sock: Duplex | undefined): Promise<NodeSSH> {
    const auth = authMethods(hop);
    let refusal: HostKeyRefusal | undefined;
    const entries = loadKnownHosts(hop.knownHostsFiles);
    const algorithms = knownHostKeyAlgorithms(entries, hop.hostKeyName, hop.port);
    const config: Ssh2ConnectConfig = {
      ...(sock ? { sock } : { host: hop.hostname, port: hop.port }),
      username: hop.user,
      authHandler: auth.methods,
      hostVerifier: (key, verify) => {
        refusal = judgeHostKey(hop, key);
        verify(!refusal);
      },
      keepaliveInterval: this.opts.keepaliveIntervalMs ?? 15_000,
      keepaliveCountMax: this.opts.keepaliveCountMax ?? 3,
      readyTimeout: hop.connectTimeoutMs ?? this.opts.readyTimeoutMs ?? 30_000,
      algorithms: {
        // Ask for a key type we already know, so a host with several keys is matched, not "changed".
        ...(algorithms.length ? { serverHostKey: algorithms } : {}),
        // AES-GCM runs in Node's native crypto (AES-NI); ssh2's chacha20 needs its optional addon.
        cipher: PREFERRED_CIPHERS,
      },
    };
    const session = new NodeSSH();
    try {
      await session.connect(config);
      return session;
    } catch (e) {
      clientOf(session)?.destroy();
      if (refusal?.unknown) return this.onUnknownHost(refusal, sock);
      if (refusal) throw new BackendError(refusal.message, hostKeyHint(hop));
      const err = e as Ssh2Error;
      if (err.level === 'client-authentication') throw authFailedError(hop, auth);
      if (err.level === 'client-dns' || err.code === 'ENOTFOUND') {
        throw new BackendError(`ssh ${describeTarget(hop)}: host name ${hop.hostname} does not resolve`, `Check HostName for ${hop.alias} in your ssh config.`);
      }
      throw new Error(`${describeTarget(hop)}: ${err.message || String(e)}`);
    }
  }

  /** Asks for consent outside the handshake (a prompt may take longer than its timeout), then records the key. */
  private async onUnknownHost(refusal: HostKeyRefusal, sock: Duplex | undefined): Promise<NodeSSH> {
    const { hop, key } = refusal.unknown!;
    const fp = fingerprintSha256(key);
    const name = knownHostsName(hop.hostKeyName, hop.port);
    let consent = !!this.opts.acceptNewHost || hop.acceptNewFromConfig;
    if (!consent && this.opts.confirmNewHost) consent = await this.opts.confirmNewHost(describeTarget(hop), fp);
    if (!consent) throw unknownHostError(hop, key);
    recordHostKey(hop.knownHostsFiles[0], hop.hostKeyName, hop.port, key, hop.hashKnownHosts);
    this.log(`recorded ${name} ${keyTypeOf(key)} ${fp} in ${hop.knownHostsFiles[0]}`);
    if (sock) throw new Error('jump host key recorded; reconnecting'); // the forwarded stream is spent: retry the chain
    return this.connectHop(hop, undefined);
  }
}

/** node-ssh types its ssh2 client from declarations ssh2 does not ship; this is the one cast. */
function clientOf(session: NodeSSH): Ssh2Client | null {
  return session.connection as unknown as Ssh2Client | null;
}

function forwardOut(client: Ssh2Client, next: SshTarget): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    client.forwardOut('127.0.0.1', 0, next.hostname, next.port, (err, channel: Ssh2Channel) => {
      if (err) reject(new Error(`jump to ${next.hostname}:${next.port} failed: ${err.message}`));
      else resolve(channel);
    });
  });
}

