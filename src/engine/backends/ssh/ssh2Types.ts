// The small part of ssh2's API this backend uses, typed here because ssh2 ships no type
// declarations (node-ssh's own typings refer to them). Cast once, at the boundary, in connection.ts.
import type { EventEmitter } from 'node:events';
import type { Duplex, Readable } from 'node:stream';

export interface Ssh2Channel extends Duplex {
  stderr: Readable;
  on(event: 'exit', listener: (code: number | null, signal?: string) => void): this;
  on(event: 'close', listener: () => void): this;
  on(event: 'data', listener: (chunk: Buffer) => void): this;
  on(event: 'error', listener: (err: Error) => void): this;
  on(event: string, listener: (...args: never[]) => void): this;
}

export interface Ssh2Client extends EventEmitter {
  exec(command: string, callback: (err: Error | undefined, channel: Ssh2Channel) => void): boolean;
  forwardOut(srcIP: string, srcPort: number, dstIP: string, dstPort: number, callback: (err: Error | undefined, channel: Ssh2Channel) => void): boolean;
  end(): void;
  destroy(): void;
}

/** A parsed key (ssh2 `utils.parseKey`). */
export interface Ssh2ParsedKey {
  type: string;
  comment: string;
  isPrivateKey(): boolean;
  getPublicSSH(): Buffer;
}

export type Ssh2AuthMethod =
  | { type: 'publickey'; username: string; key: Buffer }
  | { type: 'agent'; username: string; agent: string }
  | { type: 'none'; username: string };

/** What we pass to node-ssh's connect (forwarded as ssh2 ConnectConfig). */
export interface Ssh2ConnectConfig {
  host?: string;
  port?: number;
  sock?: Duplex;
  username: string;
  authHandler: Ssh2AuthMethod[];
  hostVerifier: (key: Buffer, verify: (ok: boolean) => void) => void;
  keepaliveInterval: number;
  keepaliveCountMax: number;
  readyTimeout: number;
  algorithms?: { serverHostKey?: string[]; cipher?: string[] };
}

/** ssh2 errors carry the layer that failed. */
export interface Ssh2Error extends Error {
  level?: string;
  code?: string;
}

interface Ssh2Module {
  utils: { parseKey(data: Buffer | string, passphrase?: string): Ssh2ParsedKey | Ssh2ParsedKey[] | Error };
}

// A CommonJS require: ssh2's utils are not in node-ssh's typings.
const ssh2 = require('ssh2') as Ssh2Module;

/** Parses a key (private or public, OpenSSH wire blob or file text); an Error when it cannot. */
export function parseKey(data: Buffer | string, passphrase?: string): Ssh2ParsedKey | Error {
  const parsed = ssh2.utils.parseKey(data, passphrase);
  return Array.isArray(parsed) ? parsed[0] : parsed;
}
