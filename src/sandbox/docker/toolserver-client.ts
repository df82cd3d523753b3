import { createInterface } from 'node:readline';
import type { ToolOutcome } from '../../wire/tool-outcome';
import type { ToolOutputSnapshot } from '../../wire/tool-output';
import { ToolServerMessage, type ToolServerConfig, type ToolServerRequest, type WatchEntry, type WatchResult } from '../toolserver/protocol';
import * as z from 'zod';
import { attachExec, type AttachedProcess, type Container, type ExecResult, type ExecSpec } from './client';
import { envRecord } from './devcontainer-settings';

// Host side of the tool server, calls multiplexed by id over its stdin/stdout: the container's main process, attached
// before the container starts (hands.ts), or an attached `docker exec` in a container that is already running (a
// reattach, or a tool server that died). When the stream closes or the server exits (the container died, or the
// server did), every pending call rejects with ToolServerGone and the sandbox decides what to tell the model.

export class ToolServerGone extends Error {
  override readonly name = 'ToolServerGone';
}

/** The container cannot run the tool server (no node, or too old): use the exec fallback. */
export class ToolServerUnavailable extends Error {
  override readonly name = 'ToolServerUnavailable';
}

/**
 * Runs in `node -e` inside the container: reads a 10-digit length and that many bytes of bundled tool server from
 * stdin, then runs it as a module; the rest of stdin is the JSON-lines protocol. Sending the code over the exec's own
 * stdin costs nothing extra, where copying a file in (an archive upload) mounts the container's filesystems.
 */
const LOADER = [
  'const fs = require("fs"), Module = require("module");',
  'function readN(n) { const b = Buffer.alloc(n); let o = 0; while (o < n) { const r = fs.readSync(0, b, o, n - o, null); if (r === 0) process.exit(3); o += r; } return b; }',
  'const code = readN(Number(readN(10).toString())).toString("utf8");',
  'const file = "/tmp/hangar-toolserver.cjs";',
  'process.argv = [process.argv[0], file, ...process.argv.slice(1)];',
  'const m = new Module(file, null); m.filename = file; m.paths = []; m._compile(code, file);',
].join('\n');

export interface ToolServerStart {
  /** The bundled server (toolserver-build.ts). */
  code: Buffer;
  user: string;
  env: string[];
  config: ToolServerConfig;
  readyTimeoutMs?: number;
}

/** The command that runs the tool server (its code then comes over stdin). */
function toolServerArgv(config: ToolServerConfig): string[] {
  return ['node', '-e', LOADER, JSON.stringify(config)];
}

/** The tool server as a container's main process: `env` sets what an exec would have set (HOME, USER). */
export function mainToolServerArgv(opts: Pick<ToolServerStart, 'env' | 'config'>): string[] {
  return ['env', ...opts.env, ...toolServerArgv(opts.config)];
}

/**
 * The line the container's main shell prints when the tool server exits (container.ts, MAIN_SHELL): the container
 * then lives on, and the attached stream with it, so this is how the host learns the server is gone.
 */
const Exited = z.object({ op: z.literal('exited'), exit_code: z.number().int() });

interface Pending {
  resolve: (o: ToolOutcome) => void;
  /** An exec's answer (exec calls only). */
  resolveExec?: (r: ExecResult) => void;
  /** A watch call's answer (watch calls only). */
  resolveWatch?: (r: WatchResult) => void;
  reject: (e: Error) => void;
  onOutput?: (snapshot: ToolOutputSnapshot) => void;
}

function parseLine(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return null;
  }
}

export class ToolServerClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private stderrTail = '';
  private gone: Error | null = null;

  private constructor(
    private readonly write: (line: string) => void,
    readonly closed: Promise<void>,
    private readonly end: () => void,
  ) {}

  /** A tool server as an exec in a running container. */
  static async start(container: Container, opts: ToolServerStart): Promise<ToolServerClient> {
    const proc = await attachExec(container, { cmd: toolServerArgv(opts.config), user: opts.user, env: opts.env, workdir: opts.config.root });
    return ToolServerClient.over(proc, opts);
  }

  /**
   * Sends the code to a tool server's stdin and waits for its ready line. `started`: when the process runs (a
   * container's main process attached before its start); the ready timeout counts from then.
   */
  static async over(proc: AttachedProcess, opts: Pick<ToolServerStart, 'code' | 'readyTimeoutMs'>, started: Promise<void> = Promise.resolve()): Promise<ToolServerClient> {
    let exitCode: number | null = null;
    let onExit: () => void = () => undefined;
    const exited = new Promise<void>((resolve) => (onExit = resolve));
    const client = new ToolServerClient(
      (line) => proc.stdin.write(line),
      proc.closed,
      () => proc.stdin.destroy(),
    );
    proc.stdin.write(String(opts.code.length).padStart(10, '0'));
    proc.stdin.write(opts.code);
    proc.stderr.on('data', (c: Buffer) => {
      client.stderrTail = (client.stderrTail + c.toString('utf8')).slice(-2000);
    });
    let onReady: () => void = () => undefined;
    const ready = new Promise<void>((resolve) => (onReady = resolve));
    const lines = createInterface({ input: proc.stdout, crlfDelay: Infinity });
    const stopped = () => new ToolServerGone(`the tool server stopped${exitCode === null ? '' : ` (exit ${exitCode})`}${client.stderrTail ? `: ${client.stderrTail.trim()}` : ''}`);
    lines.on('line', (line) => {
      const value = parseLine(line);
      const exit = (value as { op?: unknown } | null)?.op === 'exited' ? Exited.safeParse(value) : null;
      if (!exit?.success) return client.receive(value, onReady);
      exitCode = exit.data.exit_code;
      client.fail(stopped());
      client.end();
      onExit();
    });
    void proc.closed.then(() => client.fail(stopped()));
    const timeoutMs = opts.readyTimeoutMs ?? 15_000;
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      ready.then(() => 'ready' as const),
      proc.closed.then(() => 'closed' as const),
      exited.then(() => 'closed' as const),
      started.then(
        () => new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), timeoutMs))),
        () => 'closed' as const,
      ),
    ]);
    clearTimeout(timer);
    if (outcome !== 'ready') {
      client.end();
      await started;
      const code = exitCode ?? (await proc.exitCode().catch(() => null));
      throw new ToolServerUnavailable(
        outcome === 'timeout'
          ? `the tool server did not start within ${timeoutMs} ms`
          : code === 126 || code === 127
            ? "its image has no Node.js 18+ to run Hangar's tool server"
            : `the tool server exited at start (exit ${code ?? '?'})${client.stderrTail ? `: ${client.stderrTail.trim()}` : ''}`,
      );
    }
    return client;
  }

  /** `value`: a line's JSON (null: not JSON). Not ours (a stray print) is skipped: the protocol is line-framed, so the next line is fine. */
  private receive(value: unknown, onReady: () => void): void {
    const parsed = ToolServerMessage.safeParse(value);
    if (!parsed.success) return;
    const message = parsed.data;
    if (message.op === 'ready') onReady();
    else if (message.op === 'result') this.settle(message.id, (p) => p.resolve(message.outcome));
    else if (message.op === 'output') this.pending.get(message.id)?.onOutput?.(message.output);
    else if (message.op === 'exec_result') {
      const result = { exitCode: message.exit_code, stdout: Buffer.from(message.stdout, 'base64'), stderr: Buffer.from(message.stderr, 'utf8') };
      this.settle(message.id, (p) => p.resolveExec?.(result));
    } else if (message.op === 'watch_result') this.settle(message.id, (p) => p.resolveWatch?.(message.result));
    else if (message.op === 'bad_request' && message.id !== undefined) {
      const error = message.error;
      this.settle(message.id, (p) => p.reject(new Error(`tool server refused the call: ${error}`)));
    }
  }

  private settle(id: number, fn: (p: Pending) => void): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    fn(p);
  }

  private fail(err: Error): void {
    this.gone ??= err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  get alive(): boolean {
    return this.gone === null;
  }

  private send(req: ToolServerRequest): void {
    this.write(`${JSON.stringify(req)}\n`);
  }

  run(name: string, input: unknown, signal?: AbortSignal, onOutput?: (snapshot: ToolOutputSnapshot) => void, shell?: string): Promise<ToolOutcome> {
    if (this.gone) return Promise.reject(this.gone);
    const id = this.nextId++;
    return new Promise<ToolOutcome>((resolve, reject) => {
      const onAbort = () => this.send({ op: 'cancel', id });
      const cleanup = () => signal?.removeEventListener('abort', onAbort);
      this.pending.set(id, {
        resolve: (o) => (cleanup(), resolve(o)),
        reject: (e) => (cleanup(), reject(e)),
        onOutput,
      });
      this.send({ op: 'run', id, name, input, ...(shell === undefined ? {} : { shell }) });
      if (signal?.aborted) onAbort();
      else signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  async closeShell(shell: string): Promise<void> {
    if (this.gone) return;
    const id = this.nextId++;
    const outcome = await new Promise<ToolOutcome>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.send({ op: 'close_shell', id, shell });
    });
    if (outcome.is_error) throw new Error(outcome.content.map((b) => (b.type === 'text' ? b.text : '')).join(''));
  }

  /** Runs a program in the container as the server's user (protocol.ts `exec`): like an engine exec, without one. */
  exec(spec: Pick<ExecSpec, 'cmd' | 'env' | 'workdir' | 'stdin'>): Promise<ExecResult> {
    if (this.gone) return Promise.reject(this.gone);
    const id = this.nextId++;
    return new Promise<ExecResult>((resolveExec, reject) => {
      this.pending.set(id, { resolve: () => reject(new Error('the tool server answered an exec with a tool result')), resolveExec, reject });
      const stdin = spec.stdin === undefined ? '' : Buffer.from(spec.stdin).toString('base64');
      this.send({ op: 'exec', id, argv: spec.cmd, stdin, ...(spec.workdir ? { cwd: spec.workdir } : {}), env: envRecord(spec.env ?? []) });
    });
  }

  /** A call of the server's checkpoint watch (protocol.ts `watch_*`, checkpoint-watch.ts). */
  private watchCall(req: { op: 'watch_reset'; exclude: string[] } | { op: 'watch_base'; epoch: string; entries: WatchEntry[] } | { op: 'watch_changes'; epoch: string }): Promise<WatchResult> {
    if (this.gone) return Promise.reject(this.gone);
    const id = this.nextId++;
    return new Promise<WatchResult>((resolveWatch, reject) => {
      this.pending.set(id, { resolve: () => reject(new Error('the tool server answered a watch call with a tool result')), resolveWatch, reject });
      this.send({ ...req, id });
    });
  }

  /** Starts a watch period of the workspace (before a full scan); `exclude`: workspace paths that are binds. */
  watchReset(exclude: readonly string[]): Promise<WatchResult> {
    return this.watchCall({ op: 'watch_reset', exclude: [...exclude] });
  }

  /** What the full scan after watchReset found (`epoch`: the period it started). */
  watchBase(epoch: string, entries: WatchEntry[]): Promise<WatchResult> {
    return this.watchCall({ op: 'watch_base', epoch, entries });
  }

  /** The files changed since the period `epoch` began, and the next period; `unsure` when they cannot be known. */
  watchChanges(epoch: string): Promise<WatchResult> {
    return this.watchCall({ op: 'watch_changes', epoch });
  }

  /** Closes stdin: the server disposes its shell (killing its processes) and exits. */
  async close(): Promise<void> {
    this.end();
    await this.closed;
  }
}
