import http from 'node:http';
import net from 'node:net';
import { Duplex } from 'node:stream';

// Raw-socket helpers of the proxy: answers written straight to a socket (a CONNECT, a request the HTTP parser
// refused, a refusal inside a tunnel), blind tunnels, and re-reading bytes that were peeked at.

export const ESTABLISHED = 'HTTP/1.1 200 Connection Established\r\n\r\n';

/** Writes a whole HTTP/1.1 response with a text body and closes the socket. */
export function rawResponse(socket: Duplex, status: number, body: string, marker = 'refused'): void {
  if (!socket.writable || socket.destroyed) {
    socket.destroy();
    return;
  }
  const bytes = Buffer.from(body, 'utf8');
  const head = [
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? 'Error'}`,
    'Content-Type: text/plain; charset=utf-8',
    `Content-Length: ${bytes.length}`,
    'Connection: close',
    `X-Hangar-Egress: ${marker}`,
  ].join('\r\n');
  socket.end(Buffer.concat([Buffer.from(`${head}\r\n\r\n`), bytes]));
}

/**
 * A duplex over `socket` that first yields `prefix`. TLS would otherwise read straight from the socket's handle and
 * lose bytes that were already read off it (the CONNECT request's trailing bytes, a peeked first byte).
 */
export function withPrefix(socket: net.Socket, prefix: Buffer): Duplex {
  const d = new Duplex({
    read() {
      socket.resume();
    },
    write(chunk: Buffer, _enc, cb) {
      socket.write(chunk, cb);
    },
    final(cb) {
      socket.end(cb);
    },
    destroy(err, cb) {
      socket.destroy(err ?? undefined);
      cb(err);
    },
  });
  if (prefix.length > 0) d.push(prefix);
  socket.on('data', (c: Buffer) => {
    if (!d.push(c)) socket.pause();
  });
  socket.on('end', () => d.push(null));
  socket.on('error', (e) => d.destroy(e));
  socket.on('close', () => d.destroy());
  return d;
}

/** Resolves with the first bytes the client sends (or null if it closes or stays silent for `timeoutMs`). */
export function firstBytes(socket: net.Socket, timeoutMs: number): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const done = (b: Buffer | null) => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      resolve(b);
    };
    const onData = (b: Buffer) => {
      socket.pause();
      done(b);
    };
    const onClose = () => done(null);
    const timer = setTimeout(() => done(null), timeoutMs);
    socket.on('data', onData);
    socket.once('close', onClose);
    socket.resume();
  });
}

export interface TunnelEnds {
  /** Resolves once the upstream is connected (the client was told 200); rejects with the connection error. */
  connected: Promise<void>;
}

/** Connects to `address:port` and splices the client's socket to it; the client gets 200 only once it is up. */
export function tunnel(client: net.Socket, head: Buffer, address: string, port: number, opts: { connectTimeoutMs: number; idleTimeoutMs: number; track: (s: net.Socket) => void }): TunnelEnds {
  const up = net.connect({ host: address, port });
  opts.track(up);
  up.setTimeout(opts.connectTimeoutMs, () => up.destroy(Object.assign(new Error('connect timed out'), { code: 'ETIMEDOUT' })));
  let open = false;
  const connected = new Promise<void>((resolve, reject) => {
    up.once('connect', () => {
      open = true;
      up.setTimeout(opts.idleTimeoutMs, () => up.destroy());
      client.setTimeout(opts.idleTimeoutMs, () => client.destroy());
      client.write(ESTABLISHED);
      if (head.length > 0) up.write(head);
      client.pipe(up);
      up.pipe(client);
      resolve();
    });
    up.once('error', reject);
  });
  up.on('error', () => undefined);
  // Before the upstream is up, the caller answers the client (502); after, the two ends live and die together.
  up.on('close', () => {
    if (open) client.destroy();
  });
  client.on('close', () => up.destroy());
  client.on('error', () => up.destroy());
  return { connected };
}

/**
 * Connections that reached the proxy through a tunnel (a remote engine's sandbox), not the network: they have no
 * address, and are known by the session whose tunnel carried them. Only this process can mark a stream so.
 */
const tunnelled = new WeakMap<object, string>();
const TUNNEL_PREFIX = 'tunnel:';

export function markTunnelled(stream: Duplex, sessionId: string): void {
  tunnelled.set(stream, `${TUNNEL_PREFIX}${sessionId}`);
}

/** The session a tunnel client name stands for (never an address: no network peer's address starts so). */
export function tunnelSession(client: string): string | undefined {
  return client.startsWith(TUNNEL_PREFIX) ? client.slice(TUNNEL_PREFIX.length) : undefined;
}

/** The client's address as sessions are bound to it ("::ffff:172.18.0.2" is "172.18.0.2"), or its tunnel's name. */
export function clientAddress(socket: Duplex): string {
  const viaTunnel = tunnelled.get(socket);
  if (viaTunnel) return viaTunnel;
  const a = (socket as net.Socket).remoteAddress ?? '';
  return a.startsWith('::ffff:') && net.isIPv4(a.slice(7)) ? a.slice(7) : a;
}
