import { Duplex } from 'node:stream';
import type { SandboxEgress } from '../types';
import { attachExec, type AttachedProcess, type Container } from './client';

// The way out of a sandbox on a remote engine. No network joins that engine's containers to this host (the engine
// may be behind NAT, in another datacenter, reached only through ssh), so the egress proxy comes to the sandbox over
// the connection Hangar already has to the engine: a relay runs in the container as root, listens on its loopback
// (the container has no other interface: network mode none), and carries each connection a sandbox program opens
// there, multiplexed, over the stdin/stdout of its `docker exec`. On this host each one is handed to the egress proxy
// as the session's (SandboxEgress.accept), which enforces the policy and injects credentials here: no credential
// and no CA key ever enters the sandbox. The agent cannot stop or replace the relay (it is root's), and when the
// runtime goes away the relay's stdin ends and it exits; the next attach starts another.
//
// Frames, both ways: kind (1 byte), connection id (4), payload length (4), payload. Kinds: 0 the relay listens
// (relay → host, once), 1 a connection opened (relay → host), 2 data, 3 end of one direction, 4 closed.

/** Where the relay listens in the container: the proxy address its variables name. */
export const TUNNEL_PORT = 3128;
export const TUNNEL_URL = `http://127.0.0.1:${TUNNEL_PORT}`;

const READY = 0;
const OPEN = 1;
const DATA = 2;
const END = 3;
const CLOSE = 4;
const HEADER = 9;

// Runs in the container under its Node.js (the tool server's). Writes wait for drain: a connection that outruns the
// exec stream pauses every connection's reads until it drains.
const RELAY = `
const net = require('net');
const out = process.stdout;
const conns = new Map();
let next = 1;
let blocked = false;
function send(kind, id, payload) {
  const h = Buffer.alloc(${HEADER});
  h[0] = kind; h.writeUInt32BE(id, 1); h.writeUInt32BE(payload ? payload.length : 0, 5);
  if (!out.write(payload ? Buffer.concat([h, payload]) : h) && !blocked) {
    blocked = true;
    for (const s of conns.values()) s.pause();
    out.once('drain', () => { blocked = false; for (const s of conns.values()) s.resume(); });
  }
}
const server = net.createServer((s) => {
  const id = next++;
  conns.set(id, s);
  if (blocked) s.pause();
  send(${OPEN}, id);
  s.on('data', (d) => send(${DATA}, id, d));
  s.on('end', () => send(${END}, id));
  s.on('close', () => { if (conns.delete(id)) send(${CLOSE}, id); });
  s.on('error', () => undefined);
});
server.on('error', (e) => { process.stderr.write(String(e.message)); process.exit(3); });
server.listen(Number(process.argv[1]), '127.0.0.1', () => send(${READY}, 0));
let buf = Buffer.alloc(0);
process.stdin.on('data', (d) => {
  buf = Buffer.concat([buf, d]);
  while (buf.length >= ${HEADER}) {
    const len = buf.readUInt32BE(5);
    if (buf.length < ${HEADER} + len) break;
    const kind = buf[0], id = buf.readUInt32BE(1), payload = buf.subarray(${HEADER}, ${HEADER} + len);
    buf = buf.subarray(${HEADER} + len);
    const s = conns.get(id);
    if (!s) continue;
    if (kind === ${DATA}) s.write(payload);
    else if (kind === ${END}) s.end();
    else if (kind === ${CLOSE}) { conns.delete(id); s.destroy(); }
  }
});
process.stdin.on('end', () => process.exit(0));
`;

function frame(kind: number, id: number, payload?: Buffer): Buffer {
  const h = Buffer.alloc(HEADER);
  h[0] = kind;
  h.writeUInt32BE(id, 1);
  h.writeUInt32BE(payload?.length ?? 0, 5);
  return payload ? Buffer.concat([h, payload]) : h;
}

/** One sandbox connection as this host sees it: what the proxy writes goes back through the relay. */
class Channel extends Duplex {
  private idleMs = 0;
  private idle: NodeJS.Timeout | null = null;

  constructor(
    private readonly id: number,
    private readonly send: (b: Buffer, cb: () => void) => void,
    private readonly onGone: (id: number) => void,
  ) {
    super({ allowHalfOpen: true });
  }

  /** Data from the sandbox (null: it ended its side). */
  deliver(data: Buffer | null): void {
    this.touch();
    this.push(data);
  }

  override _read(): void {}
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.touch();
    this.send(frame(DATA, this.id, chunk), () => cb());
  }
  override _final(cb: (err?: Error | null) => void): void {
    this.send(frame(END, this.id), () => cb());
  }
  override _destroy(err: Error | null, cb: (err: Error | null) => void): void {
    if (this.idle) clearTimeout(this.idle);
    this.onGone(this.id);
    cb(err);
  }

  /** The socket's idle timeout, which the proxy sets on the connections it tunnels. */
  setTimeout(ms: number, onTimeout?: () => void): this {
    if (onTimeout) this.once('timeout', onTimeout);
    this.idleMs = ms;
    this.touch();
    return this;
  }

  private touch(): void {
    if (this.idle) clearTimeout(this.idle);
    this.idle = this.idleMs > 0 && !this.destroyed ? setTimeout(() => this.emit('timeout'), this.idleMs).unref() : null;
  }
}

export class EgressTunnel {
  private readonly channels = new Map<number, Channel>();
  private buf: Buffer = Buffer.alloc(0);
  private alive = true;

  private constructor(
    private readonly proc: AttachedProcess,
    private readonly containerId: string,
  ) {}

  /** Still carrying `containerId`'s connections (the exec did not end: the engine connection held). */
  serves(containerId: string): boolean {
    return this.alive && this.containerId === containerId;
  }

  /** Starts the relay in `container` and serves its connections as `sessionId`'s; resolves once it listens. */
  static async open(container: Container, egress: SandboxEgress, sessionId: string): Promise<EgressTunnel> {
    const proc = await attachExec(container, { cmd: ['node', '-e', RELAY, String(TUNNEL_PORT)], user: '0' });
    const tunnel = new EgressTunnel(proc, container.id);
    let stderr = '';
    proc.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString('utf8')).slice(-1000)));
    let ready: () => void = () => undefined;
    const listening = new Promise<'ready'>((resolve) => (ready = () => resolve('ready')));
    proc.stdout.on('data', (c: Buffer) => tunnel.receive(c, egress, sessionId, ready));
    const outcome = await Promise.race([listening, proc.closed.then(() => 'closed' as const)]);
    if (outcome === 'closed') {
      const code = await proc.exitCode().catch(() => null);
      throw new Error(
        code === 126 || code === 127
          ? "the sandbox's networking on a remote engine goes through a relay run by the image's Node.js (18+), and this image has none"
          : `the egress relay in the sandbox did not start (exit ${code ?? '?'}${stderr ? `: ${stderr.trim()}` : ''})`,
      );
    }
    void proc.closed.then(() => {
      tunnel.alive = false;
      tunnel.dropAll();
    });
    return tunnel;
  }

  private receive(chunk: Buffer, egress: SandboxEgress, sessionId: string, ready: () => void): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    while (this.buf.length >= HEADER) {
      const len = this.buf.readUInt32BE(5);
      if (this.buf.length < HEADER + len) break;
      const kind = this.buf[0];
      const id = this.buf.readUInt32BE(1);
      const payload = this.buf.subarray(HEADER, HEADER + len);
      this.buf = this.buf.subarray(HEADER + len);
      if (kind === READY) ready();
      else if (kind === OPEN) {
        const channel = new Channel(id, (b, cb) => this.write(b, cb), (gone) => this.forget(gone));
        this.channels.set(id, channel);
        egress.accept(sessionId, channel);
      } else if (kind === DATA) this.channels.get(id)?.deliver(Buffer.from(payload));
      else if (kind === END) this.channels.get(id)?.deliver(null);
      else if (kind === CLOSE) {
        const channel = this.channels.get(id);
        this.channels.delete(id);
        channel?.destroy();
      }
    }
  }

  private write(b: Buffer, cb: () => void): void {
    if (this.proc.stdin.destroyed) return cb();
    // The callback waits for the exec stream to take it: the proxy's side slows to what the engine connection carries.
    if (this.proc.stdin.write(b)) cb();
    else this.proc.stdin.once('drain', cb);
  }

  /** A channel the proxy closed: the relay closes the sandbox's end. */
  private forget(id: number): void {
    if (!this.channels.delete(id)) return;
    if (!this.proc.stdin.destroyed) this.proc.stdin.write(frame(CLOSE, id));
  }

  private dropAll(): void {
    for (const c of this.channels.values()) c.destroy();
    this.channels.clear();
  }

  /** Stops the relay (its stdin ends) and drops the connections it carried. */
  close(): void {
    this.dropAll();
    this.proc.stdin.end();
  }
}

/** Each session's tunnel, for the sessions whose sandboxes are on a remote engine with networking. */
export class SessionTunnels {
  private readonly open = new Map<string, EgressTunnel>();

  /** The session's tunnel into `container`: kept while it carries, else (a new container, a dropped exec) replaced. */
  async start(egress: SandboxEgress, sessionId: string, container: Container): Promise<void> {
    if (this.open.get(sessionId)?.serves(container.id)) return;
    this.close(sessionId);
    this.open.set(sessionId, await EgressTunnel.open(container, egress, sessionId));
  }

  close(sessionId: string): void {
    this.open.get(sessionId)?.close();
    this.open.delete(sessionId);
  }

  closeAll(): void {
    for (const id of [...this.open.keys()]) this.close(id);
  }
}
