import { Worker } from 'node:worker_threads';

// Short-lived host commands (git for listings, baselines and diffs) started from a worker thread instead of the
// event loop. child_process.spawn is synchronous: it forks the whole process, and its cost grows with the process's
// memory (on a loaded 2-core machine, 30 ms for a bare Node process and 80–200 ms for one holding a few hundred MB).
// A session's local sandbox takes ~14 git runs to set up, so 20 sessions starting at once froze the loop that
// drives every session (and, in VS Code, the extension host) for seconds. Forking from the worker leaves the loop
// running. The worker is one small script, evaluated in place so bundles need no extra file.

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

interface Job {
  id: number;
  command: string;
  args: readonly string[];
  cwd: string | undefined;
  env: Record<string, string>;
  input: Uint8Array | string;
}

interface Done {
  id: number;
  code: number | null;
  stdout: Uint8Array;
  stderr: string;
}

const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { spawn } = require('node:child_process');
const STDERR_CAP = 8192;
parentPort.on('message', (job) => {
  const out = [];
  let stderr = '';
  let settled = false;
  const finish = (code) => {
    if (settled) return;
    settled = true;
    parentPort.postMessage({ id: job.id, code, stdout: Buffer.concat(out), stderr });
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
});
`;

let worker: Worker | null = null;
let nextId = 0;
const pending = new Map<number, { resolve: (run: CollectedRun) => void; reject: (err: Error) => void }>();

function theWorker(): Worker {
  if (worker) return worker;
  const w = new Worker(WORKER_SOURCE, { eval: true });
  // Only runs in flight keep the process alive; an idle worker must not hold a CLI open.
  w.unref();
  w.on('message', (done: Done) => {
    const job = pending.get(done.id);
    if (!job) return;
    pending.delete(done.id);
    if (pending.size === 0) w.unref();
    job.resolve({ code: done.code, stdout: Buffer.from(done.stdout.buffer, done.stdout.byteOffset, done.stdout.byteLength), stderr: done.stderr });
  });
  const fail = (err: Error) => {
    if (worker === w) worker = null;
    const jobs = [...pending.values()];
    pending.clear();
    for (const job of jobs) job.reject(err);
  };
  w.on('error', fail);
  w.on('exit', (code) => fail(new Error(`the process launcher thread exited (code ${code})`)));
  worker = w;
  return w;
}

/** Runs `command` to completion from the launcher thread and collects its output. */
export function runCollected(command: string, args: readonly string[], options: RunOptions): Promise<CollectedRun> {
  return new Promise((resolve, reject) => {
    const w = theWorker();
    const id = nextId++;
    pending.set(id, { resolve, reject });
    w.ref();
    const job: Job = { id, command, args, cwd: options.cwd, env: options.env, input: options.input ?? '' };
    w.postMessage(job);
  });
}
