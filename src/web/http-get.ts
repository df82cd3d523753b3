import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import tls from 'node:tls';
import zlib from 'node:zlib';
import type { Readable } from 'node:stream';
import { decide, type Lookup } from '../vault/proxy/decide';
import type { EgressPolicy } from '../vault/proxy/policy';
import { normaliseHost } from '../vault/proxy/hosts';

// A GET made on the host for an agent (web_fetch), under the same rules as the sandbox's egress proxy: every hop of
// a redirect chain is judged by the proxy's own decide() (the environment's allow-list, no private, loopback or
// link-local address, resolved here), the connection goes to the address that was judged (no DNS rebinding between
// check and connect), and each hop is reported so it lands in the session's egress log. Bodies are read up to a
// byte limit and cut there (a 2 GB answer costs the limit, not 2 GB); the whole chain has one deadline.

export interface GetLimits {
  /** Bytes of (decoded) body kept; the stream is cut past it. */
  maxBytes: number;
  maxRedirects: number;
  timeoutMs: number;
}

export interface GetOptions {
  policy: EgressPolicy;
  lookup: Lookup;
  /** The proxy's allowPrivate: tests name their loopback hosts; absent, nothing private is reached. */
  allowPrivate?: (host: string, address: string) => boolean;
  /** Extra CA certificates for https upstreams (tests). */
  upstreamCa?: readonly string[];
  limits: GetLimits;
  signal: AbortSignal;
  /** Told of every hop: allowed (with the status) or refused (with the reason). */
  onHop: (hop: Hop) => void;
}

export interface Hop {
  host: string;
  port: number | null;
  decision: 'allowed' | 'refused';
  reason: string;
  status?: number;
  error?: string;
}

export interface GetResult {
  url: URL;
  status: number;
  contentType: string | null;
  body: Buffer;
  /** The body was longer than maxBytes and was cut. */
  truncated: boolean;
}

/** A GET that could not complete: the message is written for the model (what happened, what to do). */
export class GetError extends Error {
  override readonly name = 'GetError';
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const USER_AGENT = 'Hangar-web_fetch/1 (+https://github.com/hangar)';

export async function httpGet(start: URL, opts: GetOptions): Promise<GetResult> {
  const deadline = AbortSignal.timeout(opts.limits.timeoutMs);
  const signal = AbortSignal.any([opts.signal, deadline]);
  const seen = new Set<string>();
  let url = start;
  for (let hop = 0; ; hop++) {
    if (seen.has(url.href)) throw new GetError(`Redirect loop: ${url.href} redirected back to itself after ${hop} hops.`);
    seen.add(url.href);
    const res = await oneHop(url, opts, signal).catch((err: unknown) => {
      if (deadline.aborted) throw new GetError(`${url.href} did not answer within ${opts.limits.timeoutMs / 1000} s.`);
      throw err;
    });
    const location = REDIRECTS.has(res.status) ? res.location : null;
    if (location === null) return { ...res, url };
    if (hop >= opts.limits.maxRedirects) throw new GetError(`Too many redirects: more than ${opts.limits.maxRedirects}, the last to ${location}.`);
    let next: URL;
    try {
      next = new URL(location, url);
    } catch {
      throw new GetError(`${url.href} redirected to ${JSON.stringify(location.slice(0, 200))}, which is not a URL.`);
    }
    assertFetchable(next);
    url = next;
  }
}

/** Only http(s) URLs with a well-formed host are fetched; the message says what is wrong with the rest. */
export function assertFetchable(url: URL): void {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new GetError(`Only http:// and https:// URLs can be fetched, not ${url.protocol}//.`);
  if (url.username || url.password) throw new GetError('URLs with a user name or password in them are not fetched.');
  if (!normaliseHost(url.hostname)) throw new GetError(`The host "${url.hostname}" is not a valid host name.`);
}

interface HopResult {
  status: number;
  contentType: string | null;
  location: string | null;
  body: Buffer;
  truncated: boolean;
}

async function oneHop(url: URL, opts: GetOptions, signal: AbortSignal): Promise<HopResult> {
  const host = normaliseHost(url.hostname) as string;
  const secure = url.protocol === 'https:';
  const port = url.port ? Number(url.port) : secure ? 443 : 80;
  const d = await decide(opts.policy, host, port, { lookup: opts.lookup, allowPrivate: opts.allowPrivate });
  if (!d.ok) {
    opts.onHop({ host, port, decision: 'refused', reason: d.reason, status: d.status });
    // decide() words its message for a sandbox's client; the first line is the refusal, the second the fix.
    throw new GetError(d.message.trim().replace("Hangar's egress proxy refused the connection", 'web_fetch refused'));
  }
  // The connection goes to the address decide() judged, whatever a second lookup would say.
  const pinned: LookupFunction = (_name, options, cb) => {
    if (options.all) (cb as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [d.address]);
    else cb(null, d.address.address, d.address.family);
  };
  const req = (secure ? https : http).request(url, {
    method: 'GET',
    lookup: pinned,
    signal,
    headers: { 'user-agent': USER_AGENT, accept: 'text/html,application/xhtml+xml,text/*;q=0.9,application/json;q=0.8,*/*;q=0.1', 'accept-encoding': 'gzip, deflate, br' },
    ...(secure && opts.upstreamCa ? { ca: [...tls.rootCertificates, ...opts.upstreamCa] } : {}),
  });
  let res: http.IncomingMessage;
  try {
    res = await new Promise<http.IncomingMessage>((resolve, reject) => {
      req.once('response', resolve);
      req.once('error', reject);
      req.end();
    });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err instanceof Error ? err.message : String(err));
    opts.onHop({ host, port, decision: 'allowed', reason: 'allowed', error: code });
    if (signal.aborted) throw err;
    throw new GetError(`Could not connect to ${host}:${port} (${code}).`);
  }
  const status = res.statusCode ?? 0;
  opts.onHop({ host, port, decision: 'allowed', reason: 'allowed', status });
  const location = typeof res.headers.location === 'string' ? res.headers.location : null;
  if (REDIRECTS.has(status) && location !== null) {
    res.resume();
    return { status, contentType: null, location, body: Buffer.alloc(0), truncated: false };
  }
  const { body, truncated } = await readCapped(decoded(res), opts.limits.maxBytes, () => req.destroy());
  return { status, contentType: res.headers['content-type'] ?? null, location: null, body, truncated };
}

/** The body after Content-Encoding, so the byte limit counts what is kept (a gzip bomb is cut like any flood). */
function decoded(res: http.IncomingMessage): Readable {
  const enc = String(res.headers['content-encoding'] ?? '').trim().toLowerCase();
  if (enc === 'gzip' || enc === 'x-gzip') return res.pipe(zlib.createGunzip());
  if (enc === 'deflate') return res.pipe(zlib.createInflate());
  if (enc === 'br') return res.pipe(zlib.createBrotliDecompress());
  return res;
}

async function readCapped(stream: Readable, maxBytes: number, cut: () => void): Promise<{ body: Buffer; truncated: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of stream) {
      const buf = chunk as Buffer;
      if (size + buf.length > maxBytes) {
        chunks.push(buf.subarray(0, maxBytes - size));
        size = maxBytes;
        cut();
        stream.destroy();
        return { body: Buffer.concat(chunks), truncated: true };
      }
      chunks.push(buf);
      size += buf.length;
    }
  } catch (err) {
    throw new GetError(`The response broke off after ${size} bytes (${err instanceof Error ? err.message : String(err)}).`);
  }
  return { body: Buffer.concat(chunks), truncated: false };
}
