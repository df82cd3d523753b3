import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import { pipeline } from 'node:stream';
import tls from 'node:tls';
import { secretVariants } from '../scrubber';
import type { ResolvedAddress } from './decide';
import type { ProxyCredential } from './policy';
import { ReplaceStream } from './replace-stream';

// One HTTP request from the sandbox, sent on to its upstream: plain HTTP (forward proxying) or HTTPS inside a tunnel
// whose TLS the proxy terminated. Only in the second case are credentials injected; credentials never travel in
// clear text. Responses of intercepted hosts are scrubbed of every secret of the session, so an upstream that echoes
// a header (or serves back what was posted to it) cannot hand a secret to the sandbox.

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authorization', 'proxy-authenticate', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host']);

export interface ForwardTarget {
  host: string;
  port: number;
  address: ResolvedAddress;
  tls: boolean;
  /** Credentials of this host, injected into the request (TLS only). */
  inject: readonly ProxyCredential[];
  /** Every secret of the session, scrubbed from the response (TLS only). */
  scrub: readonly ProxyCredential[];
  /** Trust for upstream certificates when not Node's default (tests with their own CA). */
  upstreamTrust?: tls.SecureContext;
}

export interface ForwardResult {
  status?: number;
  credentials: string[];
  error?: string;
}

/** Hop-by-hop headers go, and so do the ones the Connection header names. */
function endToEnd(raw: readonly string[]): [string, string][] {
  const pairs: [string, string][] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) pairs.push([raw[i] as string, raw[i + 1] as string]);
  const named = new Set(
    pairs
      .filter(([k]) => k.toLowerCase() === 'connection')
      .flatMap(([, v]) => v.split(','))
      .map((s) => s.trim().toLowerCase()),
  );
  return pairs.filter(([k]) => !HOP_BY_HOP.has(k.toLowerCase()) && !named.has(k.toLowerCase()));
}

type Swap = [from: string, to: string, credentialId: string];

function applyCredentials(pairs: [string, string][], creds: readonly ProxyCredential[]): { pairs: [string, string][]; used: Set<string>; body: Swap[] } {
  const used = new Set<string>();
  const body: Swap[] = [];
  let out = pairs;
  for (const c of creds) {
    const inj = c.injection;
    if (inj.kind === 'header') {
      out = [...out.filter(([k]) => k.toLowerCase() !== inj.name.toLowerCase()), [inj.name, inj.value]];
      used.add(c.id);
      continue;
    }
    if (inj.headers) {
      out = out.map(([k, v]) => {
        if (!v.includes(inj.placeholder)) return [k, v];
        used.add(c.id);
        return [k, v.split(inj.placeholder).join(c.secret)];
      });
    }
    if (inj.body) body.push([inj.placeholder, c.secret, c.id]);
  }
  return { pairs: out, used, body };
}

function redactions(creds: readonly ProxyCredential[]): [string, string][] {
  return creds.flatMap((c) => secretVariants(c.secret).map((v): [string, string] => [v, `[REDACTED:${c.id}]`]));
}

function replaceAll(s: string, pairs: readonly [string, string][]): string {
  let out = s;
  for (const [from, to] of pairs) out = out.split(from).join(to);
  return out;
}

const pinned =
  (a: ResolvedAddress): net.LookupFunction =>
  (_host, options, cb) => {
    if (options.all) (cb as unknown as (e: null, list: ResolvedAddress[]) => void)(null, [a]);
    else cb(null, a.address, a.family);
  };

export function forward(req: http.IncomingMessage, res: http.ServerResponse, path: string, t: ForwardTarget, done: (r: ForwardResult) => void): void {
  let pairs = endToEnd(req.rawHeaders);
  let used = new Set<string>();
  let bodySwaps: Swap[] = [];
  const scrub = t.tls ? redactions(t.scrub) : [];
  if (t.tls && t.inject.length > 0) ({ pairs, used, body: bodySwaps } = applyCredentials(pairs, t.inject));
  const hasBody = req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
  const swapBody = bodySwaps.length > 0 && hasBody;
  // A substituted body changes length, so it goes chunked; a scrubbed response must arrive uncompressed to be read.
  if (swapBody) pairs = pairs.filter(([k]) => k.toLowerCase() !== 'content-length');
  if (scrub.length > 0) pairs = [...pairs.filter(([k]) => k.toLowerCase() !== 'accept-encoding'), ['Accept-Encoding', 'identity']];
  const defaultPort = t.tls ? 443 : 80;
  // The upstream sees the host the proxy checked, whatever Host header the sandbox sent.
  pairs.unshift(['Host', t.port === defaultPort ? bracket(t.host) : `${bracket(t.host)}:${t.port}`]);
  const bodyStream = swapBody ? new ReplaceStream(bodySwaps) : null;
  let finished = false;
  const finish = (r: Omit<ForwardResult, 'credentials'>) => {
    if (finished) return;
    finished = true;
    done({ ...r, credentials: [...new Set([...used, ...(bodyStream?.hits ?? [])])] });
  };
  const options: https.RequestOptions = {
    host: t.host,
    port: t.port,
    method: req.method,
    path,
    headers: pairs.flat(),
    lookup: pinned(t.address),
    agent: false,
    ...(t.tls && t.upstreamTrust ? { secureContext: t.upstreamTrust } : {}),
  };
  const where = `${t.tls ? 'https' : 'http'}://${t.host}:${t.port}`;
  const fail = (status: number, code: string, why: string) => {
    if (!res.headersSent) {
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'x-hangar-egress': 'upstream-error' });
      res.end(`Hangar's egress proxy ${why} ${where}: ${code}.\n`);
    } else {
      res.destroy();
    }
    finish({ status, error: code });
  };
  let upstream: http.ClientRequest;
  try {
    upstream = (t.tls ? https : http).request(options, (up) => {
      const headers = endToEnd(up.rawHeaders).map(([k, v]): [string, string] => [k, replaceAll(v, scrub)]);
      const rewrite = scrub.length > 0;
      try {
        res.writeHead(up.statusCode ?? 502, up.statusMessage, (rewrite ? headers.filter(([k]) => k.toLowerCase() !== 'content-length') : headers).flat());
      } catch (err) {
        up.destroy();
        return fail(502, (err as NodeJS.ErrnoException).code ?? 'invalid response header', 'could not pass on the response of');
      }
      const end = (err: Error | null) => finish({ status: up.statusCode, ...(err ? { error: err.message } : {}) });
      if (rewrite) pipeline(up, new ReplaceStream(scrub), res, end);
      else pipeline(up, res, end);
    });
  } catch (err) {
    // A header Node refuses to send (a control character, possibly from a substituted secret).
    req.resume();
    return fail(400, (err as NodeJS.ErrnoException).code ?? 'invalid request', 'could not send the request to');
  }
  upstream.on('error', (err) => fail(502, (err as NodeJS.ErrnoException).code ?? err.message, 'could not complete the request to'));
  res.on('close', () => {
    if (!res.writableFinished) upstream.destroy();
  });
  if (bodyStream) pipeline(req, bodyStream, upstream, () => undefined);
  else pipeline(req, upstream, () => undefined);
}

function bracket(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

