import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { z } from 'zod';
import { newId } from '../wire';
import type { Runtime } from '../runtime';
import { agentRoutes } from './agents';
import { allowanceRoutes } from './allowances';
import { bestOfRoutes } from './best-of';
import { ensureApiToken, guardRequest } from './auth';
import { environmentRoutes } from './environments';
import { envelope, fail, parseOr400, shouldRetry, toFailure } from './errors';
import { eventRoutes } from './events';
import { memoryStoreRoutes } from './memory-stores';
import { fileRoutes } from './files';
import { answerParserErrors } from './client-error';
import { ClientGoneError, DEFAULT_MAX_BODY_BYTES, readJsonBody, sendJson } from './http';
import { parseQuery } from './query';
import { resourceRoutes } from './resources';
import { Router, STREAMED, type Ctx } from './router';
import { sessionRoutes } from './sessions';
import { changeRoutes } from './changes';
import { checkpointRoutes } from './checkpoints';
import type { ServerTls } from './tls';
import { skillRoutes } from './skills';
import { SseRegistry } from './sse';
import { threadRoutes } from './threads';
import { vaultRoutes } from './vaults';
import { modelProviderRoutes } from './model-providers';
import { workspaceRoutes } from './workspaces';
import { runtimeInfoRoutes } from './runtime-info';

// The local Managed Agents HTTP API: the official SDK (or curl) drives a Hangar runtime by pointing baseURL here.
// Plain node:http: a dozen routes, strict JSON and SSE need no framework, and nothing here should slow a request.

export interface ApiServerOptions {
  runtime: Runtime;
  /**
   * The address to listen on: loopback (127.0.0.1, the default, or localhost) unless `tls` is given; another address
   * (0.0.0.0, a LAN address) sends the token over the network, so it needs TLS.
   */
  host?: string;
  /** Serve HTTPS with this certificate (see tls.ts); its names are the Host headers answered besides loopback. */
  tls?: ServerTls;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Defaults to the runtime's token file, created on first use. */
  token?: string;
  heartbeatMs?: number;
  maxBodyBytes?: number;
  /** Sees every request after routing (tests count requests and check headers). */
  onRequest?: (info: { method: string; path: string; headers: IncomingMessage['headers']; requestId: string }) => void;
  /** Unexpected (500) failures; the client gets the envelope either way. */
  onError?: (err: unknown, requestId: string) => void;
}

export interface ApiServer {
  /** http://127.0.0.1:port, or https://<the certificate's first name>:port with TLS. */
  url: string;
  /** The certificate's SHA-256 fingerprint with TLS, else null. */
  fingerprint256: string | null;
  port: number;
  token: string;
  /** Where the token lives, when it came from the runtime's token file. */
  tokenFile: string | null;
  /** Open event streams right now. */
  openStreams(): number;
  close(): Promise<void>;
}

const router = new Router([...agentRoutes, ...environmentRoutes, ...sessionRoutes, ...changeRoutes, ...checkpointRoutes, ...allowanceRoutes, ...bestOfRoutes, ...eventRoutes, ...resourceRoutes, ...threadRoutes, ...vaultRoutes, ...fileRoutes, ...skillRoutes, ...memoryStoreRoutes, ...modelProviderRoutes, ...workspaceRoutes, ...runtimeInfoRoutes]);

export async function startApiServer(opts: ApiServerOptions): Promise<ApiServer> {
  const host = opts.host ?? '127.0.0.1';
  if (!opts.tls && !LOOPBACK.has(host)) throw new Error(`Listening on ${host} without TLS would send the API token over the network in the clear; give a certificate and key (hangar serve --tls-cert/--tls-key), or listen on 127.0.0.1.`);
  const fromFile = opts.token === undefined ? await ensureApiToken(opts.runtime.options.storageRoot) : null;
  const token = opts.token ?? fromFile!.token;
  const maxBodyBytes = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const streams = new SseRegistry({ heartbeatMs: opts.heartbeatMs ?? 15_000, maxBufferedBytes: 8 * 1024 * 1024 });
  const allowedHosts = new Set<string>();
  let inFlight = 0;
  let drained: (() => void) | null = null;

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const requestId = newId('req');
    res.setHeader('request-id', requestId);
    inFlight++;
    try {
      guardRequest(req, { token, allowedHosts });
      const url = req.url ?? '/';
      const q = url.indexOf('?');
      const path = q === -1 ? url : url.slice(0, q);
      const method = req.method ?? 'GET';
      opts.onRequest?.({ method, path, headers: req.headers, requestId });
      const match = router.match(method, path);
      if (match.kind === 'none') throw fail(404, 'not_found_error', `No such endpoint: ${method} ${path}. The local API serves /v1/agents, /v1/environments, /v1/sessions, /v1/vaults, /v1/files, /v1/skills and /v1/memory_stores.`);
      if (match.kind === 'wrong_method') {
        res.setHeader('allow', match.allowed.join(', '));
        throw fail(405, 'invalid_request_error', `${method} is not allowed on ${path}; use ${match.allowed.join(' or ')}.`);
      }
      const query = parseQuery(q === -1 ? '' : url.slice(q + 1));
      const ctx: Ctx = {
        req,
        res,
        requestId,
        runtime: opts.runtime,
        params: match.params,
        streams,
        query: <T>(schema: z.ZodType<T>) => parseOr400(schema, query, 'query parameters'),
        body: async <T>(schema: z.ZodType<T>) => {
          const body = await readJsonBody(req, maxBodyBytes);
          if (body === undefined) throw fail(400, 'invalid_request_error', `${method} ${path} needs a JSON object body.`);
          return parseOr400(schema, body, 'request body');
        },
      };
      const result = await match.handler(ctx);
      if (result !== STREAMED) sendJson(res, 200, result);
    } catch (err) {
      if (err instanceof ClientGoneError) {
        res.destroy();
        return;
      }
      const f = toFailure(err);
      if (f.status >= 500) opts.onError?.(err, requestId);
      if (res.headersSent) {
        res.destroy();
        return;
      }
      // An unread body (oversize, or refused before reading) must not be parsed as the next request.
      const close: Record<string, string> = req.complete ? {} : { connection: 'close' };
      sendJson(res, f.status, envelope(f, requestId), { 'x-should-retry': String(shouldRetry(f)), ...close, ...f.headers });
    } finally {
      if (--inFlight === 0) drained?.();
    }
  };

  const server: Server = opts.tls ? createTlsServer({ cert: opts.tls.cert, key: opts.tls.key }) : createServer();
  const parserErrors = answerParserErrors(server);
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    parserErrors.answering(res);
    void handle(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const names = ['127.0.0.1', 'localhost', ...(opts.tls?.names ?? []), ...(LOOPBACK.has(host) || WILDCARD.has(host) ? [] : [host])];
  for (const name of names) allowedHosts.add(`${urlHost(name)}:${port}`);
  const url = opts.tls ? `https://${urlHost(opts.tls.names[0]!)}:${port}` : `http://${host}:${port}`;

  return {
    url,
    port,
    token,
    tokenFile: fromFile?.file ?? null,
    fingerprint256: opts.tls?.fingerprint256 ?? null,
    openStreams: () => streams.size,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      streams.closeAll();
      server.closeIdleConnections();
      // Requests in progress (a send, a create) finish; then whatever is left is cut.
      if (inFlight > 0) await Promise.race([new Promise<void>((r) => (drained = r)), new Promise((r) => setTimeout(r, 5000).unref())]);
      server.closeAllConnections();
      await closed;
    },
  };
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);
const WILDCARD = new Set(['0.0.0.0', '::']);

const urlHost = (name: string) => (name.includes(':') ? `[${name}]` : name);
