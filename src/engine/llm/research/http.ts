// Time- and size-bounded HTTP GET with an on-disk cache (<experiment>/.trex/http-cache/), so a
// resumed search or a re-run of research costs no traffic and is reproducible. URLs chosen by the
// model (fetch_url) are refused when they point at loopback or private addresses, unless allowed.
// The address check is made on the address actually connected to (a custom `lookup` on the
// request), so a name resolved once to a public address and then to 127.0.0.1 (DNS rebinding) is
// still refused, and every spelling of an address (IPv4-mapped IPv6 included) goes through one
// BlockList.
import { createHash } from 'node:crypto';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { existsSync, mkdirSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import * as nodeHttp from 'node:http';
import * as nodeHttps from 'node:https';
import { BlockList, isIP } from 'node:net';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { boundedFetch, findCause, ReplyTimeoutError, ReplyTooLargeError } from '../boundedFetch';
import { isPlainObject } from '../jsonValidation';

export interface HttpGetOptions {
  timeoutMs: number;
  maxBytes: number;
  cacheDir?: string;
  cacheTtlMs?: number;
  /** Refuse loopback, link-local and private addresses (for URLs the model chose). */
  publicOnly?: boolean;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export interface HttpResult {
  url: string;
  status: number;
  contentType: string;
  body: string;
  fromCache: boolean;
}

export class HttpError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

const MAX_REDIRECTS = 3;

export async function httpGet(url: string, o: HttpGetOptions): Promise<HttpResult> {
  const cacheFile = o.cacheDir ? join(o.cacheDir, `${createHash('sha256').update(url).digest('hex').slice(0, 32)}.json`) : undefined;
  const cached = cacheFile ? readCache(cacheFile, url, o.cacheTtlMs ?? Infinity) : undefined;
  if (cached) return cached;

  const get = boundedFetch({ timeoutMs: o.timeoutMs, maxBytes: o.maxBytes }, o.publicOnly ? publicOnlyFetch : fetch);
  let current = url;
  for (let hop = 0; ; hop++) {
    const parsed = parseHttpUrl(current);
    if (o.publicOnly) await assertPublicHost(parsed.hostname);
    let res: Response;
    let body: string;
    try {
      res = await get(current, { redirect: 'manual', headers: { 'user-agent': 'trex-vscode-research/0.1', ...(o.headers ?? {}) }, signal: o.signal });
      if (res.status >= 300 && res.status < 400 && res.headers.get('location')) {
        await res.body?.cancel().catch(() => undefined);
        if (hop >= MAX_REDIRECTS) throw new HttpError(`too many redirects from ${url}`);
        current = new URL(res.headers.get('location')!, current).toString();
        continue;
      }
      body = await res.text();
    } catch (e) {
      if (e instanceof HttpError) throw e;
      if (findCause(e, ReplyTooLargeError)) throw new HttpError(`GET ${current}: response larger than ${o.maxBytes} bytes`);
      if (findCause(e, ReplyTimeoutError)) throw new HttpError(`GET ${current}: no complete response within ${(o.timeoutMs / 1000).toFixed(1)} s`);
      if (o.signal?.aborted) throw new HttpError(`GET ${current}: cancelled`);
      const cause = (e as Error & { cause?: unknown }).cause;
      throw new HttpError(`GET ${current}: ${cause instanceof Error ? cause.message : (e as Error).message}`);
    }
    if (res.status < 200 || res.status >= 300) {
      const retry = res.headers.get('retry-after');
      throw new HttpError(`GET ${current}: HTTP ${res.status}${retry ? ` (retry after ${retry} s)` : ''}${body ? `: ${body.replace(/\s+/g, ' ').slice(0, 160)}` : ''}`, res.status);
    }
    const result: HttpResult = { url: current, status: res.status, contentType: res.headers.get('content-type') ?? '', body, fromCache: false };
    if (cacheFile) writeCache(cacheFile, url, result);
    return result;
  }
}

export function parseHttpUrl(url: string): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new HttpError(`not a valid URL: ${url.slice(0, 200)}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new HttpError(`only http(s) URLs can be fetched, not ${u.protocol}`);
  if (u.username || u.password) throw new HttpError('URLs with credentials are not fetched');
  return u;
}

async function assertPublicHost(hostname: string): Promise<void> {
  const host = hostname.replace(/^\[|\]$/g, '');
  if (isIP(host)) {
    if (isPrivateAddress(host)) throw new HttpError(`refusing to fetch a private or loopback address (${host})`);
    return;
  }
  const lower = host.toLowerCase().replace(/\.$/, '');
  if (lower === 'localhost' || lower.endsWith('.localhost') || lower.endsWith('.local') || lower.endsWith('.internal')) throw new HttpError(`refusing to fetch a local address (${host})`);
  // Names are checked where they are connected to: see checkedLookup.
}

const BLOCKED = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24], ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) BLOCKED.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 96], // unspecified, loopback (::1) and IPv4-compatible ::a.b.c.d
  ['64:ff9b::', 96], ['64:ff9b:1::', 48], // NAT64
  ['100::', 64], ['2001::', 32], ['2001:db8::', 32], ['2002::', 16], // discard, Teredo, documentation, 6to4
  ['fc00::', 7], ['fe80::', 10], ['fec0::', 10], ['ff00::', 8],
] as const) BLOCKED.addSubnet(net, prefix, 'ipv6');

const BLOCKED_MAPPED = new BlockList();
BLOCKED_MAPPED.addSubnet('::ffff:0:0', 96, 'ipv6');

/** Loopback, private, link-local, multicast, reserved, or an IPv6 form that can embed one of them. */
export function isPrivateAddress(ip: string): boolean {
  const host = ip.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const family = isIP(host);
  if (family === 4) return BLOCKED.check(host, 'ipv4');
  if (family === 6) {
    // IPv4-mapped (::ffff:a.b.c.d, ::ffff:7f00:1, 0:0:0:0:0:ffff:…): no public fetch needs one; refused outright.
    if (BLOCKED_MAPPED.check(host, 'ipv6')) return true;
    return BLOCKED.check(host, 'ipv6');
  }
  return true; // not an address at all: refuse
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** dns.lookup that refuses private addresses: the address checked is the one the socket connects to. */
export function checkedLookup(hostname: string, options: { all?: boolean; family?: number } | number | undefined, callback: LookupCallback): void {
  const opts = typeof options === 'object' && options !== null ? options : {};
  dnsLookup(hostname, { all: true, family: (typeof options === 'number' ? options : opts.family) as 0 | 4 | 6 | undefined }, (err, addresses) => {
    if (err) return callback(err, []);
    const bad = addresses.find((a) => isPrivateAddress(a.address));
    if (bad || addresses.length === 0) {
      const e = new HttpError(`refusing to fetch a private or loopback address (${hostname} → ${bad?.address ?? 'nothing'})`) as Error as NodeJS.ErrnoException;
      e.code = 'EPRIVATE';
      return callback(e, []);
    }
    if (opts.all) callback(null, addresses);
    else callback(null, addresses[0].address, addresses[0].family);
  });
}

const NULL_BODY = new Set([101, 204, 205, 304]);

/** A GET-only fetch over node:http(s) whose every connection goes through checkedLookup. */
export const publicOnlyFetch: typeof fetch = (input, init) =>
  new Promise<Response>((resolve, reject) => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (isIP(host) && isPrivateAddress(host)) return reject(new HttpError(`refusing to fetch a private or loopback address (${host})`));
    const headers: Record<string, string> = {};
    new Headers(init?.headers).forEach((v, k) => (headers[k] = v));
    const mod = url.protocol === 'https:' ? nodeHttps : nodeHttp;
    const req = mod.request(url, { method: 'GET', headers, lookup: checkedLookup as never, signal: init?.signal ?? undefined, agent: false }, (res) => {
      const h = new Headers();
      for (const [k, v] of Object.entries(res.headers)) {
        if (Array.isArray(v)) for (const x of v) h.append(k, x);
        else if (v !== undefined) h.set(k, v);
      }
      const status = res.statusCode ?? 502;
      if (NULL_BODY.has(status)) {
        res.resume();
        return resolve(new Response(null, { status, statusText: res.statusMessage, headers: h }));
      }
      resolve(new Response(Readable.toWeb(res) as ReadableStream<Uint8Array>, { status, statusText: res.statusMessage, headers: h }));
    });
    req.on('error', (e) => reject(Object.assign(new TypeError('fetch failed'), { cause: e })));
    req.end();
  });

function readCache(file: string, url: string, ttlMs: number): HttpResult | undefined {
  if (!existsSync(file)) return undefined;
  try {
    const v: unknown = JSON.parse(readFileSync(file, 'utf8'));
    if (!isPlainObject(v) || v.url !== url || typeof v.body !== 'string' || typeof v.fetchedAt !== 'number') return undefined;
    if (Date.now() - v.fetchedAt > ttlMs) return undefined;
    return { url: typeof v.finalUrl === 'string' ? v.finalUrl : url, status: Number(v.status) || 200, contentType: typeof v.contentType === 'string' ? v.contentType : '', body: v.body, fromCache: true };
  } catch {
    return undefined;
  }
}

function writeCache(file: string, url: string, r: HttpResult): void {
  try {
    mkdirSync(join(file, '..'), { recursive: true });
    const tmp = `${file}.tmp-${process.pid}`;
    writeFileSync(tmp, JSON.stringify({ url, finalUrl: r.url, status: r.status, contentType: r.contentType, fetchedAt: Date.now(), body: r.body }));
    renameSync(tmp, file);
  } catch {
    // A cache that cannot be written only costs a refetch.
  }
}
