import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import os from 'node:os';
import { Readable, Writable } from 'node:stream';
import { collectHere, launchHere } from './spawn-here';

// Host processes (git for listings, baselines and diffs; a session's bash; ripgrep) are started by small launcher
// processes, not by this one. child_process.spawn is synchronous: it forks the whole process, and its cost grows
// with the process's memory (on a loaded 2-core machine, 30 ms for a bare Node process and 80–200 ms for one holding
// a few hundred MB). A session's local sandbox takes ~14 git runs to set up and every grep starts ripgrep, so 20
// sessions at once froze the loop that drives every session (and, in VS Code, the extension host) for seconds.
// Forking from a worker thread kept the loop's JavaScript running but not the process: a fork copies the page tables
// of the whole process while its other threads wait on it, and one thread forked for every session in turn (20
// concurrent greps: 3.4 s p50). A launcher is a bare Node process (ELECTRON_RUN_AS_NODE in VS Code), so a fork copies
// its few MB instead of ours, and a few launchers fork at once (MAX_LAUNCHERS). It is one small script passed with -e,
// so bundles need no extra file; its messages go over the IPC channel, and it exits when this process goes (the
// channel closes). Two kinds of job: a run collected to completion (runCollected), and a live process whose pipes are
// relayed as messages (launch).

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

/**
 * Bytes on the IPC channel, which carries JSON: Node 20's 'advanced' deserializer can stop emitting messages once a
 * buffered chunk is shorter than its 4-byte length header (nodejs/node#55834).
 */
type Base64 = string;

/** To the launcher. */
type Job =
  | { kind: 'run'; id: number; command: string; args: readonly string[]; cwd: string | undefined; env: Record<string, string>; input: Base64 }
  | { kind: 'start'; id: number; command: string; args: readonly string[]; cwd: string | undefined; env: Record<string, string>; detached: boolean; stdin: boolean }
  | { kind: 'stdin'; id: number; data: Base64 | null }
  | { kind: 'kill'; id: number; signal: NodeJS.Signals };

/** From the launcher. */
type Reply =
  | { kind: 'done'; id: number; code: number | null; stdout: Base64; stderr: string }
  | { kind: 'spawned'; id: number; pid: number }
  | { kind: 'failed'; id: number; message: string }
  | { kind: 'out'; id: number; fd: 1 | 2; chunk: Base64 }
  | { kind: 'exit' | 'close'; id: number; code: number | null; signal: NodeJS.Signals | null };

const LAUNCHER_SOURCE = `
const { spawn } = require('node:child_process');
const parentPort = { postMessage: (m) => { try { process.send(m); } catch {} } };
process.on('disconnect', () => process.exit(0));
const STDERR_CAP = 8192;
const live = new Map();
function collect(job) {
  const out = [];
  let stderr = '';
  let settled = false;
  const finish = (code) => {
    if (settled) return;
    settled = true;
    parentPort.postMessage({ kind: 'done', id: job.id, code, stdout: Buffer.concat(out).toString('base64'), stderr });
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
  proc.stdin.end(Buffer.from(job.input, 'base64'));
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
  proc.stdout.on('data', (chunk) => parentPort.postMessage({ kind: 'out', id: job.id, fd: 1, chunk: chunk.toString('base64') }));
  proc.stderr.on('data', (chunk) => parentPort.postMessage({ kind: 'out', id: job.id, fd: 2, chunk: chunk.toString('base64') }));
  proc.on('error', () => undefined);
  proc.on('exit', (code, signal) => parentPort.postMessage({ kind: 'exit', id: job.id, code, signal }));
  proc.on('close', (code, signal) => {
    live.delete(job.id);
    parentPort.postMessage({ kind: 'close', id: job.id, code, signal });
  });
}
process.on('message', (job) => {
  if (job.kind === 'run') return collect(job);
  if (job.kind === 'start') return start(job);
  const proc = live.get(job.id);
  if (!proc) return;
  if (job.kind === 'kill') proc.kill(job.signal);
  else if (job.data === null) proc.stdin?.end();
  else proc.stdin?.write(Buffer.from(job.data, 'base64'));
});
`;

export interface LaunchedEvents {
  exit: [number | null, NodeJS.Signals | null];
  close: [number | null, NodeJS.Signals | null];
  /** The pipes to the process are lost (its launcher died): no 'close' follows. */
  error: [Error];
}

/** The parts of a ChildProcess the users of launch() need. */
export interface LaunchedProcess extends EventEmitter<LaunchedEvents> {
  readonly pid: number;
  readonly stdin: Writable;
  readonly stdout: Readable;
  readonly stderr: Readable;
  /** Like ChildProcess.kill: false once the process has exited (its pid may belong to another process by now). */
  kill(signal?: NodeJS.Signals): boolean;
}

/** A process started by a launcher, fed by the launcher's messages. */
class RelayedProcess extends EventEmitter<LaunchedEvents> implements LaunchedProcess {
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
        this.post({ kind: 'stdin', id, data: chunk.toString('base64') });
        done();
      },
      final: (done) => {
        this.post({ kind: 'stdin', id, data: null });
        done();
      },
    });
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): boolean {
    if (this.exited) return false;
    this.post({ kind: 'kill', id: this.id, signal });
    return true;
  }

  /** @internal the launcher's messages for this process. */
  receive(reply: Reply): void {
    if (reply.kind === 'out') {
      const stream = reply.fd === 1 ? this.stdout : this.stderr;
      if (!stream.destroyed) stream.push(Buffer.from(reply.chunk, 'base64'));
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

  /** @internal the launcher is gone: so is the pipe to this process. */
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

// Each spawn holds its launcher until the child has exec'd, which on a loaded machine is mostly waiting for the
// child to be scheduled (30–50 ms here), not work: a few launchers let concurrent sessions' spawns overlap. A new one
// starts only when every launcher has a spawn or run in flight, so a CLI running one git at a time has one.
const MAX_LAUNCHERS = 4;
const launchers: Launcher[] = [];
let nextId = 0;
/** The niceness launchers get, and with it every process they start (setLaunchedNiceness). */
let niceness = 0;
/** Processes are started by this process, not by launchers (spawnInThisProcess). */
let here = false;

class Launcher {
  /** Runs in flight and launches waiting for their pid. */
  readonly waiting = new Map<number, Waiting>();
  private readonly running = new Map<number, RelayedProcess>();
  private readonly child: ChildProcess;

  constructor() {
    // Its own options only: NODE_OPTIONS may load a TypeScript loader or an inspector meant for this process.
    const { NODE_OPTIONS: _options, ...env } = process.env;
    this.child = spawn(process.execPath, ['-e', LAUNCHER_SOURCE], {
      env: { ...env, ELECTRON_RUN_AS_NODE: '1' },
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      windowsHide: true,
    });
    // Before any job is sent, so every process it forks inherits it.
    if (niceness !== 0 && this.child.pid !== undefined) renice(this.child.pid);
    this.holdOpen(false);
    this.child.on('message', (reply: Reply) => this.receive(reply));
    this.child.on('error', (err) => this.fail(new Error(`the process launcher failed: ${err.message}`)));
    this.child.on('exit', (code, signal) => this.fail(new Error(`the process launcher exited (${signal ?? `code ${code}`})`)));
  }

  /** Applies the current niceness (setLaunchedNiceness) to this launcher, for the processes it starts from now on. */
  renice(): void {
    if (this.child.pid !== undefined) renice(this.child.pid);
  }

  submit(job: Job, waiting: Waiting): void {
    this.waiting.set(job.id, waiting);
    this.holdOpen(true);
    this.child.send(job);
  }

  private readonly post = (job: Job): void => void this.child.send(job);

  private receive(reply: Reply): void {
    if (reply.kind === 'done' || reply.kind === 'spawned' || reply.kind === 'failed') {
      const job = this.waiting.get(reply.id);
      if (!job) return;
      this.waiting.delete(reply.id);
      if (reply.kind === 'done') {
        job.resolve({ code: reply.code, stdout: Buffer.from(reply.stdout, 'base64'), stderr: reply.stderr });
      } else if (reply.kind === 'failed') {
        job.reject(new Error(reply.message));
      } else {
        const proc = new RelayedProcess(reply.id, reply.pid, this.post);
        this.running.set(reply.id, proc);
        job.resolve(proc);
      }
    } else {
      // A live process's output, exit and close wait for the next turn of the loop: the channel can bring them in
      // the same read as 'spawned', and it emits each message on its own nextTick, all before the caller of launch()
      // resumes and listens (a 'close' emitted to nobody left its tool waiting forever).
      setImmediate(() => {
        this.running.get(reply.id)?.receive(reply);
        if (reply.kind === 'close') this.running.delete(reply.id);
        this.releaseIfIdle();
      });
    }
    this.releaseIfIdle();
  }

  private releaseIfIdle(): void {
    if (this.waiting.size === 0 && this.running.size === 0) this.holdOpen(false);
  }

  /** Only runs in flight and live processes keep this process alive; an idle launcher must not hold a CLI open. */
  private holdOpen(hold: boolean): void {
    if (hold) {
      this.child.ref();
      this.child.channel?.ref();
    } else {
      this.child.unref();
      this.child.channel?.unref();
    }
  }

  private fail(err: Error): void {
    const at = launchers.indexOf(this);
    if (at < 0) return;
    launchers.splice(at, 1);
    const jobs = [...this.waiting.values()];
    const procs = [...this.running.values()];
    this.waiting.clear();
    this.running.clear();
    for (const job of jobs) job.reject(err);
    for (const proc of procs) proc.lost(err);
  }
}

/** The launcher with the least in flight; another one while every launcher is busy and there are fewer than the cap. */
function pickLauncher(): Launcher {
  const idlest = launchers.reduce<Launcher | null>((best, l) => (best && best.waiting.size <= l.waiting.size ? best : l), null);
  if (idlest && (idlest.waiting.size === 0 || launchers.length >= MAX_LAUNCHERS)) return idlest;
  const l = new Launcher();
  launchers.push(l);
  return l;
}

function submit<T extends CollectedRun | LaunchedProcess>(job: Job): Promise<T> {
  return new Promise((resolve, reject) => pickLauncher().submit(job, { resolve: resolve as (value: CollectedRun | LaunchedProcess) => void, reject }));
}

/**
 * Makes the processes launched from now on yield the CPU to this one: launchers get a niceness `nice` (0-19) above
 * this process's own (at most 19), and so every process they start. In VS Code's extension host the in-process runtime's git runs, the agent's commands and
 * ripgrep shared two cores with the host's own loop, which drives every session and the UI: with 20 sessions the loop
 * spent most of its stalls waiting for a CPU, not running (test/bench/extension-host.bench.ts). On an idle machine
 * niceness changes nothing; under load the launched processes get less of it than the loop.
 */
export function setLaunchedNiceness(nice: number): void {
  if (!Number.isInteger(nice) || nice < 0 || nice > 19) throw new RangeError(`niceness must be an integer from 0 to 19, not ${nice}`);
  niceness = nice;
  // Lowering a child's priority needs no privilege; raising it back does, so a live launcher keeps a higher niceness.
  for (const l of launchers) l.renice();
}

function renice(pid: number): void {
  try {
    os.setPriority(pid, Math.min(19, os.getPriority() + niceness));
  } catch {
    // A platform without priorities (or a launcher already gone): its processes run at ours.
  }
}

/**
 * From now on, processes are started by this process itself, with no launcher: for a process whose fork is cheap
 * and whose loop drives no one else, such as the tool server in a session's container. There a launcher cost a second
 * Node.js boot per container (the container's CPU to its first command: ~800 ms with it, ~450 without; a quarter of
 * what a session's start costs the machine, engine included, while a burst of sessions starts on the same cores) and
 * a base64 relay of every command's output.
 */
export function spawnInThisProcess(on = true): void {
  here = on;
}

/** Runs `command` to completion from the launcher and collects its output. */
export function runCollected(command: string, args: readonly string[], options: RunOptions): Promise<CollectedRun> {
  if (here) return collectHere(command, args, options);
  return submit({ kind: 'run', id: nextId++, command, args, cwd: options.cwd ?? process.cwd(), env: options.env, input: Buffer.from(options.input ?? '').toString('base64') });
}

/** Starts `command` from the launcher; resolves once it runs (with its pid), rejects when it cannot start. */
export function launch(command: string, args: readonly string[], options: LaunchOptions): Promise<LaunchedProcess> {
  if (here) return launchHere(command, args, options);
  return submit({
    kind: 'start',
    id: nextId++,
    command,
    args,
    cwd: options.cwd ?? process.cwd(),
    env: options.env,
    detached: options.detached ?? false,
    stdin: options.stdin ?? false,
  });
}
