import http from 'node:http';
import type net from 'node:net';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';
import type { CertificateAuthority } from './ca';
import { decide, refusalMessage, systemLookup, type Decision, type Lookup, type ResolvedAddress } from './decide';
import { EgressLog, type EgressRecord } from './egress-log';
import { forward } from './forward';
import { normaliseHost, parseAuthority, type Target } from './hosts';
import type { EgressPolicy, ProxyCredential } from './policy';
import { clientAddress, ESTABLISHED, firstBytes, markTunnelled, rawResponse, tunnel, tunnelSession, withPrefix } from './sockets';

// The host-side egress proxy: the only way out of a sandbox with networking. It forwards plain HTTP and tunnels
// CONNECT, after checking the environment's policy and the resolved address. For hosts that have a credential it
// terminates TLS with a leaf of the runtime CA and forwards each request itself (forward.ts), injecting the
// credential. A sandbox is known by its address on the sandbox network (the runtime binds it when the container
// starts; containers have no capabilities, so they cannot spoof another one's address). Refusals reach the client
// as a 403 with a body that says which host was refused and how to allow it, inside the tunnel when it speaks TLS.

export interface EgressProxyOptions {
  ca: CertificateAuthority;
  /** The policy of a session, read fresh for every connection; null when the session is gone. */
  policyFor: (sessionId: string) => Promise<EgressPolicy | null>;
  lookup?: Lookup;
  /** Lets a private/loopback/link-local destination through; default: refused. */
  allowPrivate?: (host: string, address: string) => boolean;
  /** Extra trust roots for upstream certificates (tests with their own CA). */
  upstreamCa?: readonly string[];
  /** A client must send its request headers within this time (default 10 s): slowloris protection. */
  headersTimeoutMs?: number;
  /** Largest request head accepted (default 16 KiB); larger ones get 431. */
  maxHeaderBytes?: number;
  /** An idle tunnel or intercepted connection is closed after this (default 5 min). */
  idleTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** Concurrent connections one client may hold (default 256). */
  maxConnectionsPerClient?: number;
  /** JSONL log for connections that belong to no bound session. */
  unattributedLog?: string | null;
}

export interface ListenAddress {
  host: string;
  port: number;
  /** What sandboxes put in HTTP_PROXY. */
  url: string;
}

interface Intercepted {
  sessionId: string;
  client: string;
  policy: EgressPolicy;
  target: Target;
  address: ResolvedAddress;
  credentials: ProxyCredential[];
}

interface Refused {
  where: string;
  message: string;
}

export class EgressProxy {
  readonly log: EgressLog;
  private readonly servers = new Map<string, { server: http.Server; address: ListenAddress }>();
  /** Serves tunnelled connections (accept()); it listens nowhere. */
  private tunnelServer: http.Server | null = null;
  private readonly sessionsByClient = new Map<string, string>();
  private readonly perClient = new Map<string, number>();
  private readonly sockets = new Set<Duplex>();
  /** Parses requests inside tunnels whose TLS the proxy terminated, to forward them with credentials. */
  private readonly intercept: http.Server;
  /** Answers every request inside a refused tunnel with the refusal. */
  private readonly refusals: http.Server;
  private readonly contexts = new WeakMap<object, Intercepted>();
  private readonly refusalContexts = new WeakMap<object, Refused>();
  private readonly lookup: Lookup;
  private readonly headersTimeoutMs: number;
  private readonly idleTimeoutMs: number;
  private readonly connectTimeoutMs: number;
  /** Built once: a context with ~150 roots costs more to build than the TLS handshake it is for. */
  private readonly upstreamTrust: tls.SecureContext | undefined;
  private closed = false;

  constructor(private readonly opts: EgressProxyOptions) {
    this.log = new EgressLog(opts.unattributedLog ?? null);
    this.lookup = opts.lookup ?? systemLookup;
    this.headersTimeoutMs = opts.headersTimeoutMs ?? 10_000;
    this.idleTimeoutMs = opts.idleTimeoutMs ?? 300_000;
    this.connectTimeoutMs = opts.connectTimeoutMs ?? 15_000;
    this.upstreamTrust = opts.upstreamCa ? tls.createSecureContext({ ca: [...tls.rootCertificates, ...opts.upstreamCa] }) : undefined;
    const inner = { maxHeaderSize: opts.maxHeaderBytes ?? 16_384 };
    this.intercept = http.createServer(inner, (req, res) => this.onIntercepted(req, res));
    this.refusals = http.createServer(inner, (req, res) => this.onRefusedRequest(req, res));
    for (const s of [this.intercept, this.refusals]) {
      s.on('clientError', (err, socket) => this.onClientError(err, socket));
      s.on('upgrade', (_req, socket: Duplex) => rawResponse(socket, 501, "Hangar's egress proxy does not forward protocol upgrades (WebSockets) to hosts whose credentials it injects.\n"));
      s.on('connect', (_req, socket: Duplex) => rawResponse(socket, 405, "CONNECT inside a tunnel is not supported by Hangar's egress proxy.\n"));
    }
  }

  get caCertPem(): string {
    return this.opts.ca.certPem;
  }

  /** Starts listening on `host` (idempotent per host): the sandbox network's gateway, or 127.0.0.1 for tests. */
  async listen(host: string, port = 0): Promise<ListenAddress> {
    const existing = this.servers.get(host);
    if (existing) return existing.address;
    const server = this.makeServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', () => undefined);
    const info = server.address() as net.AddressInfo;
    const address: ListenAddress = { host, port: info.port, url: `http://${host.includes(':') ? `[${host}]` : host}:${info.port}` };
    this.servers.set(host, { server, address });
    return address;
  }

  /**
   * Serves a connection of `sessionId`'s sandbox that came through a tunnel (a remote engine's sandbox reaches this
   * host over the engine connection, not a network): handled as that sandbox's connections to a listener are.
   */
  accept(sessionId: string, connection: Duplex): void {
    if (this.closed) {
      connection.destroy();
      return;
    }
    markTunnelled(connection, sessionId);
    this.tunnelServer ??= this.makeServer();
    this.tunnelServer.emit('connection', connection);
  }

  private makeServer(): http.Server {
    const server = http.createServer({
      maxHeaderSize: this.opts.maxHeaderBytes ?? 16_384,
      headersTimeout: this.headersTimeoutMs,
      // Bodies (a git push) may take long; the header timeout and idle timeouts bound what a client can hold.
      requestTimeout: 0,
      keepAliveTimeout: 5_000,
      connectionsCheckingInterval: Math.max(50, Math.min(30_000, Math.floor(this.headersTimeoutMs / 4))),
    });
    server.on('connection', (socket: net.Socket) => this.onConnection(socket));
    server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => void this.onRequest(req, res));
    server.on('connect', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => void this.onConnect(req, socket, head));
    server.on('clientError', (err, socket) => this.onClientError(err, socket));
    return server;
  }

  /** From now on, connections from `address` belong to `sessionId`. */
  bind(sessionId: string, address: string): void {
    for (const [a, s] of this.sessionsByClient) if (s === sessionId && a !== address) this.sessionsByClient.delete(a);
    this.sessionsByClient.set(address, sessionId);
  }

  unbind(sessionId: string): void {
    for (const [a, s] of this.sessionsByClient) if (s === sessionId) this.sessionsByClient.delete(a);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const s of this.sockets) s.destroy();
    await Promise.all([...this.servers.values()].map(({ server }) => new Promise<void>((r) => server.close(() => r()))));
    this.servers.clear();
    await this.log.flush();
  }

  private track(s: Duplex): void {
    this.sockets.add(s);
    s.once('close', () => this.sockets.delete(s));
  }

  private onConnection(socket: net.Socket): void {
    socket.on('error', () => undefined);
    const client = clientAddress(socket);
    const n = (this.perClient.get(client) ?? 0) + 1;
    if (this.closed || n > (this.opts.maxConnectionsPerClient ?? 256)) {
      socket.destroy();
      return;
    }
    this.perClient.set(client, n);
    this.track(socket);
    socket.once('close', () => {
      const left = (this.perClient.get(client) ?? 1) - 1;
      if (left <= 0) this.perClient.delete(client);
      else this.perClient.set(client, left);
    });
  }

  private onClientError(err: Error, socket: Duplex): void {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    if (code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const status = code === 'HPE_HEADER_OVERFLOW' ? 431 : code === 'ERR_HTTP_REQUEST_TIMEOUT' || code === 'ERR_HTTP_HEADERS_TIMEOUT' ? 408 : 400;
    const why = status === 431 ? 'the request head is too large' : status === 408 ? 'the request head did not arrive in time' : `the request is malformed (${code || err.message})`;
    const client = clientAddress(socket) || 'unknown';
    this.record(this.sessionsByClient.get(client) ?? tunnelSession(client) ?? null, null, { client, method: '-', host: '-', port: null, decision: 'refused', reason: why, status });
    rawResponse(socket, status, `Hangar's egress proxy refused the request: ${why}.\n`);
  }

  private async sessionPolicy(client: string): Promise<{ sessionId: string; policy: EgressPolicy } | { error: string }> {
    const sessionId = this.sessionsByClient.get(client) ?? tunnelSession(client);
    if (!sessionId) return { error: `the connection does not come from a Hangar sandbox this proxy serves (${client})` };
    try {
      const policy = await this.opts.policyFor(sessionId);
      return policy ? { sessionId, policy } : { error: `session ${sessionId} no longer exists` };
    } catch (err) {
      return { error: `the policy of session ${sessionId} could not be read (${err instanceof Error ? err.message : String(err)})` };
    }
  }

  private decide(policy: EgressPolicy, target: Target): Promise<Decision> {
    return decide(policy, target.host, target.port, { lookup: this.lookup, allowPrivate: this.opts.allowPrivate });
  }

  /** Plain HTTP forward proxying: `GET http://host/path`. */
  private async onRequest(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const client = clientAddress(req.socket);
    const method = req.method ?? '-';
    const deny = (sessionId: string | null, policy: EgressPolicy | null, status: number, host: string, port: number | null, reason: string, message: string) => {
      this.record(sessionId, policy, { client, method, host, port, decision: 'refused', reason, mode: 'http', status });
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'x-hangar-egress': 'refused', connection: 'close' });
      res.end(message);
    };
    try {
      const url = parseProxyUrl(req.url ?? '');
      if (!url) {
        const https = /^https:/i.test(req.url ?? '');
        const reason = https ? 'an https:// URL was sent as a plain request' : 'not a proxy request (the URL is not absolute http://)';
        return deny(this.sessionsByClient.get(client) ?? null, null, 400, '-', null, reason, `Hangar's egress proxy: ${reason}. Send http:// URLs in absolute form and use CONNECT for https.\n`);
      }
      const found = await this.sessionPolicy(client);
      if ('error' in found) return deny(null, null, 403, url.host, url.port, found.error, refusalMessage(`${url.host}:${url.port}`, found.error, 'Only Hangar sandboxes may use this proxy.'));
      const d = await this.decide(found.policy, url);
      if (!d.ok) return deny(found.sessionId, found.policy, d.status, url.host, url.port, d.reason, d.message);
      forward(req, res, url.path, { host: url.host, port: url.port, address: d.address, tls: false, inject: [], scrub: [] }, (r) =>
        this.record(found.sessionId, found.policy, {
          client,
          method,
          host: url.host,
          port: url.port,
          decision: 'allowed',
          reason: d.credentials.length > 0 ? 'allowed; credentials are only injected over https' : 'allowed',
          mode: 'http',
          status: r.status,
          ...(r.error ? { error: r.error } : {}),
        }),
      );
    } catch (err) {
      if (!res.headersSent) deny(null, null, 500, '-', null, 'internal error', `Hangar's egress proxy failed: ${err instanceof Error ? err.message : String(err)}\n`);
      else res.destroy();
    }
  }

  private async onConnect(req: http.IncomingMessage, socket: net.Socket, head: Buffer): Promise<void> {
    const client = clientAddress(socket);
    const authority = req.url ?? '';
    try {
      const target = parseAuthority(authority);
      if (!target) {
        this.record(this.sessionsByClient.get(client) ?? null, null, { client, method: 'CONNECT', host: authority, port: null, decision: 'refused', reason: 'malformed CONNECT target', status: 400 });
        return rawResponse(socket, 400, `Hangar's egress proxy refused CONNECT ${JSON.stringify(authority.slice(0, 200))}: the target must be host:port.\n`);
      }
      const where = `${target.host}:${target.port}`;
      const found = await this.sessionPolicy(client);
      if ('error' in found) {
        this.record(null, null, { client, method: 'CONNECT', host: target.host, port: target.port, decision: 'refused', reason: found.error, status: 403 });
        return rawResponse(socket, 403, refusalMessage(where, found.error, 'Only Hangar sandboxes may use this proxy.'));
      }
      const base = { client, method: 'CONNECT', host: target.host, port: target.port };
      const d = await this.decide(found.policy, target);
      if (!d.ok) {
        this.record(found.sessionId, found.policy, { ...base, decision: 'refused', reason: d.reason, status: d.status });
        if (d.status === 403) return void (await this.refuseInTunnel(socket, head, target, d.message));
        return rawResponse(socket, d.status, d.message);
      }
      if (d.credentials.length > 0) {
        this.record(found.sessionId, found.policy, { ...base, decision: 'allowed', reason: 'allowed; TLS terminated to inject credentials', mode: 'intercepted', credentials: d.credentials.map((c) => c.id) });
        return this.startIntercept(socket, head, { sessionId: found.sessionId, client, policy: found.policy, target, address: d.address, credentials: d.credentials });
      }
      const t = tunnel(socket, head, d.address.address, target.port, { connectTimeoutMs: this.connectTimeoutMs, idleTimeoutMs: this.idleTimeoutMs, track: (s) => this.track(s) });
      try {
        await t.connected;
        this.record(found.sessionId, found.policy, { ...base, decision: 'allowed', reason: 'allowed', mode: 'tunnel' });
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
        this.record(found.sessionId, found.policy, { ...base, decision: 'allowed', reason: 'allowed; upstream unreachable', mode: 'tunnel', status: 502, error: code });
        rawResponse(socket, 502, `Hangar's egress proxy could not connect to ${where}: ${code}.\n`, 'upstream-error');
      }
    } catch (err) {
      rawResponse(socket, 500, `Hangar's egress proxy failed: ${err instanceof Error ? err.message : String(err)}\n`);
    }
  }

  private startIntercept(socket: net.Socket, head: Buffer, ctx: Intercepted): void {
    socket.write(ESTABLISHED);
    const tlsSocket = this.serveTls(socket, head, ctx.target.host);
    let secured = false;
    tlsSocket.once('secure', () => (secured = true));
    tlsSocket.on('error', (err) => {
      const code = (err as NodeJS.ErrnoException).code ?? err.message;
      // A handshake the client aborts is most often a sandbox that does not trust the runtime CA.
      if (!secured) {
        this.record(ctx.sessionId, ctx.policy, { client: ctx.client, method: 'CONNECT', host: ctx.target.host, port: ctx.target.port, decision: 'allowed', reason: 'TLS handshake with the sandbox failed (does it trust the Hangar CA?)', mode: 'intercepted', error: code });
      }
      tlsSocket.destroy();
    });
    this.contexts.set(tlsSocket, ctx);
    this.intercept.emit('connection', tlsSocket);
  }

  private serveTls(socket: net.Socket, prefix: Buffer, host: string): tls.TLSSocket {
    const stream = prefix.length > 0 ? withPrefix(socket, prefix) : socket;
    const tlsSocket = new tls.TLSSocket(stream, { isServer: true, secureContext: this.opts.ca.contextFor(host), ALPNProtocols: ['http/1.1'] });
    tlsSocket.setTimeout(this.idleTimeoutMs, () => tlsSocket.destroy());
    this.track(tlsSocket);
    return tlsSocket;
  }

  /** Answers a refused CONNECT inside the tunnel, so the refusal's text reaches the program (curl prints the body). */
  private async refuseInTunnel(socket: net.Socket, head: Buffer, target: Target, message: string): Promise<void> {
    socket.write(ESTABLISHED);
    const first = head.length > 0 ? head : await firstBytes(socket, this.headersTimeoutMs);
    if (!first) return void socket.destroy();
    if (first[0] !== 0x16) return rawResponse(socket, 403, message);
    const tlsSocket = this.serveTls(socket, first, target.host);
    tlsSocket.on('error', () => tlsSocket.destroy());
    this.refusalContexts.set(tlsSocket, { where: `${target.host}:${target.port}`, message });
    this.refusals.emit('connection', tlsSocket);
  }

  private onRefusedRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const ctx = this.refusalContexts.get(req.socket);
    res.writeHead(403, { 'content-type': 'text/plain; charset=utf-8', 'x-hangar-egress': 'refused', connection: 'close' });
    res.end(ctx?.message ?? "Hangar's egress proxy refused this connection.\n");
  }

  private onIntercepted(req: http.IncomingMessage, res: http.ServerResponse): void {
    const ctx = this.contexts.get(req.socket);
    if (!ctx) {
      res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      return void res.end("Hangar's egress proxy lost track of this connection.\n");
    }
    const { target } = ctx;
    const path = req.url ?? '';
    if (!path.startsWith('/')) {
      res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8', 'x-hangar-egress': 'refused' });
      return void res.end(`Hangar's egress proxy expects origin-form requests inside a tunnel to ${target.host}.\n`);
    }
    forward(req, res, path, { host: target.host, port: target.port, address: ctx.address, tls: true, inject: ctx.credentials, scrub: ctx.policy.credentials, upstreamTrust: this.upstreamTrust }, (r) =>
      this.record(ctx.sessionId, ctx.policy, {
        client: ctx.client,
        method: req.method ?? '-',
        host: target.host,
        port: target.port,
        decision: 'allowed',
        reason: r.credentials.length > 0 ? 'allowed; credentials injected' : 'allowed',
        mode: 'intercepted',
        credentials: r.credentials,
        status: r.status,
        ...(r.error ? { error: r.error } : {}),
      }),
    );
  }

  private record(sessionId: string | null, policy: EgressPolicy | null, r: Omit<EgressRecord, 'ts' | 'session'>): void {
    this.log.write(policy?.logFile ?? null, { ts: new Date().toISOString(), session: sessionId, ...r });
  }
}

/** An absolute-form `http://host[:port]/path` proxy request; null for anything else. */
function parseProxyUrl(raw: string): (Target & { path: string }) | null {
  if (!/^http:\/\//i.test(raw)) return null;
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return null;
  }
  if (u.username || u.password) return null;
  const host = normaliseHost(u.hostname);
  if (!host) return null;
  return { host, port: u.port ? Number(u.port) : 80, path: `${u.pathname}${u.search}` };
}
