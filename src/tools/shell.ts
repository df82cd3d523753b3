import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { OutputCollector } from './collector';
import { untilMarker } from './live-output';
import { groupGone, signalGroup } from './process-group';
import { launch, type LaunchedProcess } from './spawn-off-loop';

// One persistent bash per ToolHost. Each command is framed by a per-call marker that carries its exit code; after
// each command the shell saves its cwd and exported environment into the private state dir, so when a command has
// to be killed (timeout, abort) the whole process group dies and a new shell comes back where the old one was.

export interface ShellConfig {
  root: string;
  /** Private directory outside the workspace for the command file and the saved cwd/env. */
  stateDir: string;
  env: Record<string, string>;
  maxOutputChars: number;
}

/** How a framed line ended in the shell. */
type FrameEnd =
  | { kind: 'done'; exitCode: number }
  | { kind: 'timeout' }
  | { kind: 'aborted' }
  | { kind: 'shell_exited'; exitCode: number | null; signal: NodeJS.Signals | null }
  | { kind: 'spawn_failed'; message: string };

/**
 * How a command ended. One that did not complete also says where the next command will start (its shell was killed
 * or exited, and a new one comes back in the saved directory). A completed one does not: reading the saved directory
 * is a file read and a stat, for every command, that nobody would look at.
 */
export type ShellEnd =
  | Extract<FrameEnd, { kind: 'done' | 'spawn_failed' }>
  | (Extract<FrameEnd, { kind: 'timeout' | 'aborted' | 'shell_exited' }> & { cwd: string });

export interface ShellRun {
  end: ShellEnd;
  output: string;
}

interface Gone {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The launcher died, and the pipes to the shell with it. */
  lostError: Error | null;
}

interface Live {
  proc: LaunchedProcess;
  /** Resolves when the shell exited or could not be started. */
  gone: Promise<Gone>;
  isGone: boolean;
  onData: ((chunk: Buffer) => void) | null;
}

const KILL_WAIT_MS = 2000;
const SPAWN_TIMEOUT_MS = 30_000;
const EXIT_DRAIN_MS = 500;

async function settled(stream: Readable | null, capMs: number): Promise<void> {
  if (!stream || stream.destroyed || stream.readableEnded) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([once(stream, 'close'), new Promise((resolve) => (timer = setTimeout(resolve, capMs)))]).catch(() => undefined);
  clearTimeout(timer);
}

export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export class PersistentShell {
  private live: Live | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private disposed = false;

  constructor(private readonly config: ShellConfig) {}

  private get files() {
    const dir = this.config.stateDir;
    return { cwd: path.join(dir, 'cwd'), env: path.join(dir, 'env'), command: path.join(dir, 'command.sh'), run: path.join(dir, 'run.sh') };
  }

  /**
   * Runs one command; calls are serialized so two commands never share the shell's stdin. `onOutput` gets the
   * command's output as it is printed (without the framing).
   */
  run(command: string, timeoutMs: number, signal?: AbortSignal, onOutput?: (chunk: Buffer) => void): Promise<ShellRun> {
    return this.serialized(() => this.runNow(command, timeoutMs, signal, onOutput));
  }

  /** Kills the shell and forgets the saved cwd/env: the next command starts fresh at the root. */
  restart(): Promise<void> {
    return this.serialized(async () => {
      await this.kill();
      await Promise.all([rm(this.files.cwd, { force: true }), rm(this.files.env, { force: true })]);
    });
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    await this.kill();
  }

  /** Last saved working directory, or the root when none is saved or it no longer exists. */
  async savedCwd(): Promise<string> {
    const saved = (await readFile(this.files.cwd, 'utf8').catch(() => '')).replace(/\n$/, '');
    if (saved && path.isAbsolute(saved) && (await stat(saved).catch(() => null))?.isDirectory()) return saved;
    return this.config.root;
  }

  private serialized<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async runNow(command: string, timeoutMs: number, signal?: AbortSignal, onOutput?: (chunk: Buffer) => void): Promise<ShellRun> {
    if (this.disposed) return { end: { kind: 'spawn_failed', message: 'the tool host was disposed' }, output: '' };
    if (signal?.aborted) return { end: { kind: 'aborted', cwd: await this.savedCwd() }, output: '' };
    // The previous command may have ended the shell (`exit`, `exec`), or its group was killed from outside.
    if (this.live?.isGone) await this.kill();
    if (!this.live) {
      const started = await this.start();
      if (typeof started === 'string') return { end: { kind: 'spawn_failed', message: started }, output: '' };
    }
    await writeFile(this.files.command, command);
    const result = await this.frame(`builtin source ${shellQuote(this.files.run)}\n__hangar_ec=$?; `, timeoutMs, signal, onOutput);
    // bash names the sourced file in its syntax errors; the model should see the usual `bash: line N: …`.
    const output = result.output.split(`${this.files.command}: `).join('bash: ');
    const { end } = result;
    return { output, end: end.kind === 'done' || end.kind === 'spawn_failed' ? end : { ...end, cwd: await this.savedCwd() } };
  }

  private async start(): Promise<string | null> {
    await mkdir(this.config.stateDir, { recursive: true, mode: 0o700 });
    await writeFile(this.files.run, this.runScript());
    const cwd = await this.savedCwd();
    let proc: LaunchedProcess;
    try {
      // Started off the event loop (spawn-off-loop.ts); its own process group, so a kill takes the command's children with it.
      proc = await launch('bash', ['--noprofile', '--norc'], { cwd, env: this.config.env, detached: true, stdin: true });
    } catch (err) {
      return `could not start bash: ${err instanceof Error ? err.message : String(err)}`;
    }
    const live: Live = {
      proc,
      onData: null,
      isGone: false,
      gone: new Promise((resolve) => {
        proc.once('exit', (code, sig) => resolve({ code, signal: sig, lostError: null }));
        proc.once('error', (err) => resolve({ code: null, signal: null, lostError: err }));
      }),
    };
    void live.gone.then(() => (live.isGone = true));
    const forward = (chunk: Buffer) => live.onData?.(chunk);
    proc.stdout.on('data', forward);
    proc.stderr.on('data', forward);
    this.live = live;
    // dispose() ran while the shell was starting, and found nothing to kill.
    if (this.disposed) {
      await this.kill();
      return 'the tool host was disposed';
    }
    const env = shellQuote(this.files.env);
    // stderr joins stdout inside the shell, so both keep their relative order; then the saved environment comes back.
    // (Plain `exec`: through `builtin` the redirection would only last for that one command.)
    const init =
      `exec 2>&1; if [ -r ${env} ]; then for __hangar_v in $(builtin compgen -e); do ` +
      `builtin unset "$__hangar_v" 2>/dev/null; done; builtin source ${env} 2>/dev/null; fi; ` +
      `builtin unset __hangar_v; builtin cd -- ${shellQuote(cwd)} 2>/dev/null`;
    const result = await this.frame(`${init}\n__hangar_ec=$?; ${this.saveState()}; `, SPAWN_TIMEOUT_MS);
    if (result.end.kind === 'done') return null;
    await this.kill();
    if (result.end.kind === 'spawn_failed') return `could not start bash: ${result.end.message}`;
    return `could not start bash (${result.end.kind}): ${result.output}`;
  }

  /** Saves the shell's cwd and exported environment. Only builtins: the command may have broken PATH or shadowed commands with functions. */
  private saveState(): string {
    return `{ builtin pwd > ${shellQuote(this.files.cwd)}; builtin export -p > ${shellQuote(this.files.env)}; } 2>/dev/null`;
  }

  /**
   * What every command runs through, sourced from a file: bash reads a pipe one byte per read(2) (it must not read
   * past a line the command itself may read), ~2 µs a byte on a loaded VM, so the ~650 bytes of this framing sent
   * on stdin cost the shell ~1.2 ms of CPU per command; sourced, they are one read. The call's marker stays on stdin,
   * out of the command's sight. A directory the shell is in that was removed and made again since (a rewind restoring
   * it, another thread's `rm -rf build && mkdir build`) is entered again by its path: the old one is gone and shows
   * nothing. OLDPWD is kept, so `cd -` still goes where the agent was before.
   */
  private runScript(): string {
    return (
      'builtin test . -ef "$PWD" || { __hangar_o=$OLDPWD; builtin cd -- "$PWD" 2>/dev/null; OLDPWD=$__hangar_o; builtin unset __hangar_o; }\n' +
      `builtin source ${shellQuote(this.files.command)} </dev/null\n` +
      `__hangar_ec=$?; ${this.saveState()}\n` +
      'builtin return "$__hangar_ec"\n'
    );
  }

  /** Runs `script` (which sets __hangar_ec to the status to report) in the shell, followed by the call's marker. */
  private async frame(script: string, timeoutMs: number, signal?: AbortSignal, onOutput?: (chunk: Buffer) => void): Promise<{ end: FrameEnd; output: string }> {
    const live = this.live as Live;
    const sentinel = `__HANGAR_DONE_${randomUUID().replace(/-/g, '')}__`;
    const marker = Buffer.from(`\n${sentinel}`);
    const collector = new OutputCollector(Math.max(4 * this.config.maxOutputChars, 64 * 1024), marker);
    const forward = onOutput ? untilMarker(marker, onOutput) : null;

    let settle: (end: FrameEnd) => void = () => undefined;
    const ended = new Promise<FrameEnd>((resolve) => (settle = resolve));
    live.onData = (chunk) => {
      collector.push(chunk);
      forward?.(chunk);
      const code = collector.finished;
      if (code !== null) settle({ kind: 'done', exitCode: code });
    };
    const timer = setTimeout(() => settle({ kind: 'timeout' }), timeoutMs);
    const onAbort = () => settle({ kind: 'aborted' });
    signal?.addEventListener('abort', onAbort, { once: true });
    void live.gone.then(({ code, signal: sig, lostError }) => {
      if (lostError) settle({ kind: 'spawn_failed', message: lostError.message });
      else settle({ kind: 'shell_exited', exitCode: code, signal: sig });
    });
    live.proc.stdin.write(`${script}builtin printf '\\n%s%d\\n' '${sentinel}' "$__hangar_ec"\n`);

    const end = await ended;
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
    // `exit` can be reported before the last output is read from the pipe.
    if (end.kind === 'shell_exited') await settled(live.proc.stdout, EXIT_DRAIN_MS);
    live.onData = null;
    if (end.kind !== 'done') await this.kill();
    return { end, output: collector.render(this.config.maxOutputChars) };
  }

  /** SIGKILL to the whole process group (background jobs included), then wait for the shell and the group to be gone. */
  private async kill(): Promise<void> {
    const live = this.live;
    this.live = null;
    if (!live) return;
    live.onData = null;
    const pid = live.proc.pid;
    if (!signalGroup(pid, 'SIGKILL')) live.proc.kill('SIGKILL');
    live.proc.stdin.destroy();
    live.proc.stdout.destroy();
    live.proc.stderr.destroy();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([live.gone, new Promise((resolve) => (timer = setTimeout(resolve, KILL_WAIT_MS)))]);
    clearTimeout(timer);
    // The shell may go before its group: the next command must not start while a killed command's processes
    // (a fork bomb's, say) still hold the sandbox's pids limit.
    await groupGone(pid, KILL_WAIT_MS);
  }
}
