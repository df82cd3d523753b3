import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { Writable, type Readable } from 'node:stream';
import type { CollectedRun, LaunchedEvents, LaunchedProcess, LaunchOptions, RunOptions } from './spawn-off-loop';

// launch() and runCollected() started by this process itself (spawnInThisProcess in spawn-off-loop.ts), with what a
// launcher's processes promise: a pid once launch() resolves, a refusal for a program that cannot start, and no
// 'error' after the start (a launcher ignores a child's later errors, and its users take 'error' for lost pipes).

const STDERR_CAP = 8192;

class ChildHere extends EventEmitter<LaunchedEvents> implements LaunchedProcess {
  readonly stdin: Writable;
  readonly stdout: Readable;
  readonly stderr: Readable;

  constructor(
    private readonly child: ChildProcess & { stdout: Readable; stderr: Readable },
    readonly pid: number,
  ) {
    super();
    // A process without a stdin pipe reads /dev/null; what is written for it goes nowhere, as through a launcher.
    this.stdin = child.stdin ?? new Writable({ write: (_chunk, _encoding, done) => done() });
    this.stdin.on('error', () => undefined);
    this.stdout = child.stdout;
    this.stderr = child.stderr;
    child.on('error', () => undefined);
    child.on('exit', (code, signal) => this.emit('exit', code, signal));
    child.on('close', (code, signal) => this.emit('close', code, signal));
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): boolean {
    return this.child.exitCode === null && this.child.signalCode === null && this.child.kill(signal);
  }
}

export function launchHere(command: string, args: readonly string[], options: LaunchOptions): Promise<LaunchedProcess> {
  return new Promise((resolve, reject) => {
    let child: ChildProcess;
    try {
      child = spawn(command, args, { cwd: options.cwd, env: options.env, detached: options.detached ?? false, stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    } catch (err) {
      reject(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    // A program that cannot start has no pid and reports why on 'error'.
    if (child.pid === undefined) child.once('error', reject);
    else resolve(new ChildHere(child as ChildProcess & { stdout: Readable; stderr: Readable }, child.pid));
  });
}

export async function collectHere(command: string, args: readonly string[], options: RunOptions): Promise<CollectedRun> {
  let proc: LaunchedProcess;
  try {
    proc = await launchHere(command, args, { cwd: options.cwd, env: options.env, stdin: true });
  } catch (err) {
    return { code: null, stdout: Buffer.alloc(0), stderr: err instanceof Error ? err.message : String(err) };
  }
  const out: Buffer[] = [];
  let stderr = '';
  proc.stdout.on('data', (chunk: Buffer) => out.push(chunk));
  proc.stderr.on('data', (chunk: Buffer) => {
    if (stderr.length < STDERR_CAP) stderr += chunk.toString('utf8');
  });
  const closed = new Promise<number | null>((resolve) => proc.once('close', (code) => resolve(code)));
  proc.stdin.end(Buffer.from(options.input ?? ''));
  return { code: await closed, stdout: Buffer.concat(out), stderr };
}
