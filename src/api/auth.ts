import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import path from 'node:path';
import { isErrno } from '../log/fsutil';
import { fail } from './errors';

// Who may call the API: whoever can read <storageRoot>/api-token (mode 0600, so the user who owns the runtime).
// Browsers may not call it at all: no CORS headers, any Origin / Sec-Fetch-Site refused, Host pinned to loopback
// so a DNS-rebound name cannot reach it either.

export const TOKEN_FILE = 'api-token';
const TOKEN_SHAPE = /^hgr_[A-Za-z0-9_-]{43}$/;

/** Reads the runtime's API token, creating it (0600) on first use; a damaged or group/world-readable one is replaced. */
export async function ensureApiToken(storageRoot: string): Promise<{ token: string; file: string }> {
  const file = path.join(storageRoot, TOKEN_FILE);
  await fsp.mkdir(storageRoot, { recursive: true, mode: 0o700 });
  // Two processes starting at once: one publishes its token, the other finds it on the next pass.
  for (let attempt = 0; attempt < 5; attempt++) {
    const existing = await readToken(file);
    if (existing.kind === 'ok') return { token: existing.token, file };
    const token = `hgr_${randomBytes(32).toString('base64url')}`;
    if (await publish(file, `${token}\n`, existing.kind === 'missing' ? 'link' : 'rename')) return { token, file };
  }
  throw new Error(`Could not create ${file}; check that the directory is writable.`);
}

async function readToken(file: string): Promise<{ kind: 'ok'; token: string } | { kind: 'missing' } | { kind: 'replace' }> {
  try {
    const [text, stat] = await Promise.all([fsp.readFile(file, 'utf8'), fsp.stat(file)]);
    const token = text.trim();
    return TOKEN_SHAPE.test(token) && (stat.mode & 0o077) === 0 ? { kind: 'ok', token } : { kind: 'replace' };
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return { kind: 'missing' };
    throw err;
  }
}

/** Writes a 0600 temp file (never readable by others, even briefly) and links it in (exclusive) or renames it over. */
async function publish(file: string, text: string, how: 'link' | 'rename'): Promise<boolean> {
  const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  const handle = await fsp.open(tmp, 'wx', 0o600);
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    if (how === 'link') await fsp.link(tmp, file);
    else await fsp.rename(tmp, file);
    return true;
  } catch (err) {
    if (isErrno(err, 'EEXIST')) return false;
    throw err;
  } finally {
    await fsp.rm(tmp, { force: true });
  }
}

const digest = (s: string) => createHash('sha256').update(s).digest();

export interface GuardOptions {
  token: string;
  /** host:port values a request may name in Host. */
  allowedHosts: ReadonlySet<string>;
}

/** Throws the 403/401 a request deserves, or returns when it may proceed. */
export function guardRequest(req: IncomingMessage, opts: GuardOptions): void {
  // Node keeps the first of several Host headers; a proxy in front may have used another one, so refuse the ambiguity.
  const hosts = req.rawHeaders.filter((_, i) => i % 2 === 0 && req.rawHeaders[i]!.toLowerCase() === 'host').length;
  if (hosts > 1) throw fail(400, 'invalid_request_error', 'The request has more than one Host header; send exactly one.');
  const host = (req.headers.host ?? '').toLowerCase();
  if (!opts.allowedHosts.has(host)) {
    throw fail(403, 'permission_error', `Host "${host}" is not this server; call it as ${[...opts.allowedHosts][0]} (requests through other names are refused).`);
  }
  if (req.headers.origin !== undefined || req.headers['sec-fetch-site'] !== undefined) {
    throw fail(403, 'permission_error', 'Requests from web pages are refused: the Hangar API is for local programs (the SDK, curl, scripts), not browsers.');
  }
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1];
  const apiKey = headerValue(req.headers['x-api-key']);
  const offered = [bearer, apiKey].filter((v): v is string => v !== undefined);
  if (offered.length === 0) throw fail(401, 'authentication_error', 'Missing API token: send it as "Authorization: Bearer <token>" or "x-api-key: <token>". `hangar serve` prints where the token file is.');
  const expected = digest(opts.token);
  if (!offered.some((t) => timingSafeEqual(digest(t), expected))) {
    throw fail(401, 'authentication_error', 'Invalid API token: use the token in the api-token file of the runtime this server belongs to.');
  }
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
