import { lstat, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import ignore, { type Ignore } from 'ignore';
import { hasNul, ToolFailure } from './output';
import { isWithin } from './paths';

// The search used when ripgrep is not installed. Same output as `rg --no-heading --line-number --with-filename
// --sort path --max-columns 500 --max-columns-preview`, and like rg it skips hidden, git-ignored and binary files and
// does not follow links. The regex runs on a worker thread: a pattern that backtracks catastrophically (the model
// chooses it) is then stopped by terminating the worker instead of freezing this process (the VS Code extension host).

export const GREP_MAX_COLUMNS = 500;
export const GREP_TIMEOUT_MS = 60_000;
const MAX_FILE_BYTES = 64 * 1024 * 1024;
const BATCH_LINES = 5000;
const ALWAYS_SKIPPED = new Set(['.git', 'node_modules']);

const MATCHER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const re = new RegExp(workerData);
parentPort.on('message', (lines) => {
  const hits = [];
  for (let i = 0; i < lines.length; i++) if (re.test(lines[i])) hits.push(i);
  parentPort.postMessage(hits);
});
`;

export interface GrepSink {
  /** Returns false when the output is full and the search should stop. */
  line(text: string): boolean;
}

export function validateJsRegex(pattern: string): void {
  try {
    new RegExp(pattern);
  } catch (err) {
    throw new ToolFailure(`invalid regular expression ${JSON.stringify(pattern)}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

export function previewLine(line: string): string {
  return line.length > GREP_MAX_COLUMNS ? `${line.slice(0, GREP_MAX_COLUMNS)} [... omitted end of long line]` : line;
}

class Matcher {
  private readonly worker: Worker;
  private failure: Error | null = null;

  constructor(pattern: string) {
    this.worker = new Worker(MATCHER_SOURCE, { eval: true, workerData: pattern, env: {}, stdout: true, stderr: true });
    this.worker.on('error', (err) => (this.failure = err));
  }

  match(lines: string[], deadline: number, signal?: AbortSignal): Promise<number[]> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => finish(new ToolFailure(`grep timed out after ${GREP_TIMEOUT_MS / 1000} s; the pattern may backtrack heavily, simplify it`)), Math.max(0, deadline - Date.now()));
      const onAbort = () => finish(new ToolFailure('grep was aborted'));
      const onMessage = (hits: number[]) => finish(null, hits);
      const onExit = () => finish(new ToolFailure(`grep failed: ${this.failure?.message ?? 'the search worker stopped'}`));
      const finish = (err: Error | null, hits: number[] = []) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.worker.off('message', onMessage);
        this.worker.off('exit', onExit);
        if (err) reject(err);
        else resolve(hits);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.worker.on('message', onMessage);
      this.worker.on('exit', onExit);
      this.worker.postMessage(lines);
    });
  }

  close(): Promise<number> {
    return this.worker.terminate();
  }
}

interface Scope {
  dir: string;
  rules: Ignore;
}

async function gitignoreOf(dir: string): Promise<Scope | null> {
  const text = await readFile(path.join(dir, '.gitignore'), 'utf8').catch(() => null);
  return text === null ? null : { dir, rules: ignore().add(text) };
}

function ignored(scopes: Scope[], abs: string, isDir: boolean): boolean {
  for (const scope of scopes) {
    const rel = path.relative(scope.dir, abs) + (isDir ? '/' : '');
    if (scope.rules.ignores(rel)) return true;
  }
  return false;
}

// Like rg, the .gitignore files of the directories above the search start apply too.
async function ancestorScopes(realRoot: string, start: string): Promise<Scope[]> {
  const scopes: Scope[] = [];
  for (let dir = path.dirname(start); isWithin(realRoot, dir); dir = path.dirname(dir)) {
    const scope = await gitignoreOf(dir);
    if (scope) scopes.unshift(scope);
    if (dir === realRoot) break;
  }
  return scopes;
}

/** Files to search under `start` in rg's order (sorted by path, depth first). */
async function* searchableFiles(realRoot: string, start: string): AsyncGenerator<string> {
  const info = await lstat(start);
  if (info.isFile()) {
    yield start;
    return;
  }
  async function* walk(dir: string, scopes: Scope[]): AsyncGenerator<string> {
    const own = await gitignoreOf(dir);
    const active = own ? [...scopes, own] : scopes;
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (entry.name.startsWith('.') || ALWAYS_SKIPPED.has(entry.name)) continue;
      const abs = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!ignored(active, abs, true)) yield* walk(abs, active);
      } else if (entry.isFile() && !ignored(active, abs, false)) {
        yield abs;
      }
    }
  }
  yield* walk(start, start === realRoot ? [] : await ancestorScopes(realRoot, start));
}

/** Searches `start` (a file or directory inside `realRoot`) and feeds `path:line:text` lines to `sink`. */
export async function grepWithJs(pattern: string, realRoot: string, start: string, sink: GrepSink, signal?: AbortSignal): Promise<void> {
  validateJsRegex(pattern);
  const matcher = new Matcher(pattern);
  const deadline = Date.now() + GREP_TIMEOUT_MS;
  try {
    for await (const file of searchableFiles(realRoot, start)) {
      if (signal?.aborted) throw new ToolFailure('grep was aborted');
      const info = await lstat(file).catch(() => null);
      if (!info || info.size > MAX_FILE_BYTES) continue;
      const data = await readFile(file).catch(() => null);
      if (!data || hasNul(data)) continue;
      const lines = data.toString('utf8').split('\n');
      if (lines[lines.length - 1] === '') lines.pop();
      const shown = path.relative(realRoot, file);
      for (let from = 0; from < lines.length; from += BATCH_LINES) {
        const batch = lines.slice(from, from + BATCH_LINES);
        for (const i of await matcher.match(batch, deadline, signal)) {
          if (!sink.line(`${shown}:${from + i + 1}:${previewLine(batch[i] as string)}`)) return;
        }
      }
    }
  } finally {
    await matcher.close();
  }
}
