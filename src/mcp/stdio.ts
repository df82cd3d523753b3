import { spawn, type ChildProcess } from 'node:child_process';
import { ReadBuffer, serializeMessage } from '@modelcontextprotocol/sdk/shared/stdio.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { groupGone, signalGroup } from '../tools/process-group';

// The stdio transport for MCP servers Hangar launches. Unlike the SDK's, it starts the server in a process group of
// its own and close() ends the whole group: a server started through `npx`, a shell or a wrapper leaves no
// grandchild behind, and neither does one still starting up (close() works mid-handshake). If the process exits
// without closing (an uncaught error, process.exit in a signal handler), the groups still running are killed on exit.

/** How long a server may take to exit after its stdin closes, then after SIGTERM, before the next step. */
const GRACE_MS = 1000;
const POSIX = process.platform !== 'win32';

const running = new Set<number>();
let exitHook = false;

export interface StdioParams {
  command: string;
  args: string[];
  env: Record<string, string>;
  onStderr: (text: string) => void;
}

export class StdioProcessTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  private child: ChildProcess | null = null;
  private readonly buffer = new ReadBuffer();
  private stopping: Promise<void> | null = null;
  /** The process was spawned at some point; an error after that is the server's, not a missing command. */
  private spawned = false;

  constructor(private readonly params: StdioParams) {}

  get started(): boolean {
    return this.spawned;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(): Promise<void> {
    if (this.child) throw new Error('the MCP server process is already started');
    return new Promise((resolve, reject) => {
      const child = spawn(this.params.command, this.params.args, { env: this.params.env, stdio: ['pipe', 'pipe', 'pipe'], detached: POSIX, windowsHide: true });
      this.child = child;
      child.on('error', (err) => {
        reject(err);
        this.onerror?.(err);
      });
      child.on('spawn', () => {
        this.spawned = true;
        if (POSIX && child.pid) {
          running.add(child.pid);
          if (!exitHook) {
            exitHook = true;
            process.on('exit', () => running.forEach((pgid) => signalGroup(pgid, 'SIGKILL')));
          }
        }
        resolve();
      });
      // A server that ended by itself is forgotten once its whole group is gone (its id may be reused after that).
      child.on('exit', () => {
        const pgid = child.pid;
        if (pgid) void groupGone(pgid, 0).then((gone) => gone && running.delete(pgid));
      });
      child.on('close', () => {
        if (this.child === child) this.child = null;
        this.onclose?.();
      });
      child.stdin?.on('error', (err) => this.onerror?.(err));
      child.stdout?.on('data', (chunk: Buffer) => {
        this.buffer.append(chunk);
        for (;;) {
          let message: JSONRPCMessage | null;
          try {
            message = this.buffer.readMessage();
          } catch (err) {
            this.onerror?.(err as Error);
            continue;
          }
          if (message === null) break;
          this.onmessage?.(message);
        }
      });
      child.stderr?.on('data', (chunk: Buffer) => this.params.onStderr(chunk.toString('utf8')));
    });
  }

  send(message: JSONRPCMessage): Promise<void> {
    const stdin = this.child?.stdin;
    if (!stdin) return Promise.reject(new Error('Not connected'));
    return new Promise((resolve) => {
      if (stdin.write(serializeMessage(message))) resolve();
      else stdin.once('drain', resolve);
    });
  }

  /** Ends the server and everything it started: stdin closed, then SIGTERM, then SIGKILL to its process group. */
  close(): Promise<void> {
    this.stopping ??= this.stop();
    return this.stopping;
  }

  private async stop(): Promise<void> {
    const child = this.child;
    this.buffer.clear();
    if (!child?.pid) return;
    const pgid = child.pid;
    child.stdin?.end();
    if (!POSIX) {
      if (child.exitCode === null) child.kill();
      return;
    }
    if (!(await groupGone(pgid, GRACE_MS))) {
      signalGroup(pgid, 'SIGTERM');
      if (!(await groupGone(pgid, GRACE_MS))) {
        signalGroup(pgid, 'SIGKILL');
        await groupGone(pgid, GRACE_MS);
      }
    }
    running.delete(pgid);
  }
}
