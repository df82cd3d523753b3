import { EventEmitter } from 'node:events';
import { Readable, Writable } from 'node:stream';
import { Worker } from 'node:worker_threads';

// Host processes (git for listings, baselines and diffs; a session's bash; ripgrep) started from a worker thread
// instead of the event loop. child_process.spawn is synchronous: it forks the whole process, and its cost grows with
// the process's memory (on a loaded 2-core machine, 30 ms for a bare Node process and 80–200 ms for one holding a
// few hundred MB). A session's local sandbox takes ~14 git runs to set up and every session starts a shell and
// ripgrep, so 20 sessions at once froze the loop that drives every session (and, in VS Code, the extension host) for
// seconds. Forking from the worker leaves the loop running. The worker is one small script, evaluated in place so
// bundles need no extra file. Two kinds of job: a run collected to completion (runCollected), and a live process
// whose pipes are relayed as messages (launch).

export interface CollectedRun {
  /** Exit code; null when the process could not be started or was killed by a signal. */
  code: number | null;
  stdout: Buffer;
  /** The first 8 KB of stderr, or why the process could not be started. */
  stderr: string;
}

export interface RunOptions {
  cwd?: string;
  env: Record<string, string>;
  input?: Buffer | string;
}

export interface LaunchOptions {
  cwd?: string;
  env: Record<string, string>;
  /** A process group of its own (see process-group.ts). */
  detached?: boolean;
  /** Whether the process gets a stdin pipe; without one its stdin is /dev/null. */
  stdin?: boolean;
}

/** To the launcher thread. */
type Job =
  | { kind: 'run'; id: number; command: string; args: readonly string[]; cwd: string | undefined; env: Record<string, string>; input: Uint8Array | string }
  | { kind: 'start'; id: number; command: string; args: readonly string[]; cwd: string | undefined; env: Record<string, string>; detached: boolean; stdin: boolean }
  | { kind: 'stdin'; id: number; data: Uint8Array | null }
  | { kind: 'kill'; id: number; signal: NodeJS.Signals };

/** From the launcher thread. */
type Reply =
  | { kind: 'done'; id: number; code: number | null; stdout: Uint8Array; stderr: string }
  | { kind: 'spawned'; id: number; pid: number }
  | { kind: 'failed'; id: number; message: string }
  | { kind: 'out'; id: number; fd: 1 | 2; chunk: Uint8Array }
  | { kind: 'exit' | 'close'; id: number; code: number | null; signal: NodeJS.Signals | null };

const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { spawn } = require('node:child_process');
const STDERR_CAP = 8192;
const live = new Map();
function collect(job) {
  const out = [];
  let stderr = '';
  let settled = false;
  const finish = (code) => {
    if (settled) return;
    settled = true;
    parentPort.postMessage({ kind: 'done', id: job.id, code, stdout: Buffer.concat(out), stderr });
  };
  let proc;
  try {
    proc = spawn(job.command, job.args, { cwd: job.cwd, env: job.env, stdio: ['pipe', 'pipe', 'pipe'] });
  } catch (err) {
    stderr = String(err && err.message || err);
    return finish(null);
  }
  proc.stdout.on('data', (chunk) => out.push(chunk));
  proc.stderr.on('data', (chunk) => { if (stderr.length < STDERR_CAP) stderr += chunk.toString('utf8'); });
  proc.on('error', (err) => { stderr = err.message; finish(null); });
  proc.on('close', (code) => finish(code));
  proc.stdin.on('error', () => undefined);
  proc.stdin.end(job.input);
}
function start(job) {
  const failed = (err) => parentPort.postMessage({ kind: 'failed', id: job.id, message: String(err && err.message || err) });
  let proc;
  try {
    proc = spawn(job.command, job.args, { cwd: job.cwd, env: job.env, detached: job.detached, stdio: [job.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
  } catch (err) {
    return failed(err);
  }
  // A program that cannot start has no pid and reports why on 'error'.
  if (proc.pid === undefined) return proc.once('error', failed);
  live.set(job.id, proc);
  parentPort.postMessage({ kind: 'spawned', id: job.id, pid: proc.pid });
  proc.stdin?.on('error', () => undefined);
  proc.stdout.on('data', (chunk) => parentPort.postMessage({ kind: 'out', id: job.id, fd: 1, chunk }));
  proc.stderr.on('data', (chunk) => parentPort.postMessage({ kind: 'out', id: job.id, fd: 2, chunk }));
  proc.on('error', () => undefined);
  proc.on('exit', (code, signal) => parentPort.postMessage({ kind: 'exit', id: job.id, code, signal }));
  proc.on('close', (code, signal) => {
    live.delete(job.id);
    parentPort.postMessage({ kind: 'close', id: job.id, code, signal });
  });
}
parentPort.on('message', (job) => {
  if (job.kind === 'run') return collect(job);
  if (job.kind === 'start') return start(job);
  const proc = live.get(job.id);
  if (!proc) return;
  if (job.kind === 'kill') proc.kill(job.signal);
  else if (job.data === null) proc.stdin?.end();
  else proc.stdin?.write(job.data);
});
`;

/** A process started by the launcher thread: the parts of a ChildProcess its users need, fed by the thread's messages. */
export class LaunchedProcess extends EventEmitter<{ exit: [number | null, NodeJS.Signals | null]; close: [number | null, NodeJS.Signals | null]; error: [Error] }> {
  readonly stdin: Writable;
  readonly stdout = new Readable({ read: () => undefined });
  readonly stderr = new Readable({ read: () => undefined });
  private exited = false;

  constructor(
    private readonly id: number,
    readonly pid: number,
    private readonly post: (job: Job) => void,
  ) {
    super();
    this.stdin = new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        this.post({ kind: 'stdin', id, data: chunk });
        done();
      },
      final: (done) => {
        this.post({ kind: 'stdin', id, data: null });
        done();
      },
    });
  }

  /** Like ChildProcess.kill: false once the process has exited (its pid may belong to another process by now). */
  kill(signal: NodeJS.Signals = 'SIGTERM'): boolean {
    if (this.exited) return false;
    this.post({ kind: 'kill', id: this.id, signal });
    return true;
  }

  /** @internal the launcher's messages for this process. */
  receive(reply: Reply): void {
    if (reply.kind === 'out') {
      const stream = reply.fd === 1 ? this.stdout : this.stderr;
      if (!stream.destroyed) stream.push(Buffer.from(reply.chunk.buffer, reply.chunk.byteOffset, reply.chunk.byteLength));
    } else if (reply.kind === 'exit') {
      this.exited = true;
      this.emit('exit', reply.code, reply.signal);
    } else if (reply.kind === 'close') {
      this.exited = true;
      this.stdout.push(null);
      this.stderr.push(null);
      this.emit('close', reply.code, reply.signal);
    }
  }

  /** @internal the launcher thread is gone: so is the pipe to this process. */
  lost(err: Error): void {
    this.exited = true;
    this.stdout.destroy();
    this.stderr.destroy();
    if (this.listenerCount('error') > 0) this.emit('error', err);
  }
}

interface Waiting {
  /** A collected run, or a launch waiting for its pid. */
  resolve: (value: CollectedRun | LaunchedProcess) => void;
  reject: (err: Error) => void;
}

let worker: Worker | null = null;
let nextId = 0;
const waiting = new Map<number, Waiting>();
const running = new Map<number, LaunchedProcess>();

function theWorker(): Worker {
  if (worker) return worker;
  const w = new Worker(WORKER_SOURCE, { eval: true });
  const post = (job: Job) => w.postMessage(job);
  // Only runs in flight and live processes keep the process alive; an idle worker must not hold a CLI open.
  w.unref();
  w.on('message', (reply: Reply) => {
    if (reply.kind === 'done' || reply.kind === 'spawned' || reply.kind === 'failed') {
      const job = waiting.get(reply.id);
      if (!job) return;
      waiting.delete(reply.id);
      if (reply.kind === 'done') {
        job.resolve({ code: reply.code, stdout: Buffer.from(reply.stdout.buffer, reply.stdout.byteOffset, reply.stdout.byteLength), stderr: reply.stderr });
      } else if (reply.kind === 'failed') {
        job.reject(new Error(reply.message));
      } else {
        const proc = new LaunchedProcess(reply.id, reply.pid, post);
        running.set(reply.id, proc);
        job.resolve(proc);
      }
    } else {
      running.get(reply.id)?.receive(reply);
      if (reply.kind === 'close') running.delete(reply.id);
    }
    if (waiting.size === 0 && running.size === 0) w.unref();
  });
  const fail = (err: Error) => {
    if (worker === w) worker = null;
    const jobs = [...waiting.values()];
    const procs = [...running.values()];
    waiting.clear();
    running.clear();
    for (const job of jobs) job.reject(err);
    for (const proc of procs) proc.lost(err);
  };
  w.on('error', fail);
  w.on('exit', (code) => fail(new Error(`the process launcher thread exited (code ${code})`)));
  worker = w;
  return w;
}

function submit<T extends CollectedRun | LaunchedProcess>(job: Job): Promise<T> {
  return new Promise((resolve, reject) => {
    const w = theWorker();
    waiting.set(job.id, { resolve: resolve as (value: CollectedRun | LaunchedProcess) => void, reject });
    w.ref();
    w.postMessage(job);
  });
}

/** Runs `command` to completion from the launcher thread and collects its output. */
export function runCollected(command: string, args: readonly string[], options: RunOptions): Promise<CollectedRun> {
  return submit({ kind: 'run', id: nextId++, command, args, cwd: options.cwd, env: options.env, input: options.input ?? '' });
}

/** Starts `command` from the launcher thread; resolves once it runs (with its pid), rejects when it cannot start. */
export function launch(command: string, args: readonly string[], options: LaunchOptions): Promise<LaunchedProcess> {
  return submit({ kind: 'start', id: nextId++, command, args, cwd: options.cwd, env: options.env, detached: options.detached ?? false, stdin: options.stdin ?? false });
}
