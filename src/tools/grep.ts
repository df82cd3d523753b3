import { access, constants, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import type { ToolOutcome } from '../wire/tool-outcome';
import { shellEnvironment } from './bash';
import { GREP_MAX_COLUMNS, GREP_TIMEOUT_MS, grepWithJs, type GrepSink } from './grep-js';
import { textOutcome, ToolFailure } from './output';
import { fsErrorText, isWithin, resolveInRoot } from './paths';
import type { GrepInput } from './schemas';
import { launch } from './spawn-off-loop';

/** Every executable `rg` on a PATH, as real paths, in the PATH's order. */
async function ripgrepsOn(searchPath: string): Promise<string[]> {
  const found: string[] = [];
  for (const dir of searchPath.split(path.delimiter)) {
    if (!path.isAbsolute(dir)) continue;
    const candidate = path.join(dir, 'rg');
    try {
      await access(candidate, constants.X_OK);
      const real = await realpath(candidate);
      if ((await stat(real)).isFile()) found.push(real);
    } catch {
      // not in this directory
    }
  }
  return found;
}

// The PATH is walked once per process, not by every session's first grep (an access, a realpath and a stat per
// directory, each a trip through libuv's pool, on the loop every session shares). A PATH without rg is walked again
// next time: rg may have been installed since.
const ripgreps = new Map<string, Promise<string[]>>();

/** The first `rg` on PATH that does not live inside the workspace (an agent could plant one there). */
export async function findRipgrep(root: string, searchPath = process.env.PATH ?? ''): Promise<string | null> {
  const realRoot = await realpath(root);
  let found = ripgreps.get(searchPath);
  if (!found) {
    found = ripgrepsOn(searchPath);
    ripgreps.set(searchPath, found);
  }
  const list = await found;
  if (list.length === 0) ripgreps.delete(searchPath);
  return list.find((rg) => !isWithin(realRoot, rg)) ?? null;
}

/** Collects output lines up to a character budget. */
class Budget implements GrepSink {
  readonly lines: string[] = [];
  private used = 0;
  full = false;

  constructor(private readonly maxChars: number) {}

  line(text: string): boolean {
    if (this.full) return false;
    if (this.used + text.length + 1 > this.maxChars && this.lines.length > 0) {
      this.full = true;
      return false;
    }
    this.lines.push(text);
    this.used += text.length + 1;
    return true;
  }
}

async function grepWithRipgrep(rg: string, pattern: string, realRoot: string, relStart: string, sink: Budget, signal?: AbortSignal): Promise<void> {
  const args = ['--no-config', '--line-number', '--no-heading', '--with-filename', '--color', 'never', '--sort', 'path'];
  args.push('--max-columns', String(GREP_MAX_COLUMNS), '--max-columns-preview', '--regexp', pattern);
  // Without a path argument rg prints paths without a "./" prefix, like the other tools.
  if (relStart) args.push('--', relStart);
  // Started off the event loop (spawn-off-loop.ts), like every host process.
  const proc = await launch(rg, args, { cwd: realRoot, env: shellEnvironment() }).catch((err: unknown) => {
    throw new ToolFailure(`could not run rg: ${err instanceof Error ? err.message : String(err)}`);
  });
  return new Promise((resolve, reject) => {
    let pending = '';
    let stderr = '';
    let stopped: ToolFailure | null = null;
    const stop = (failure: ToolFailure | null) => {
      stopped ??= failure;
      proc.kill('SIGKILL');
    };
    const timer = setTimeout(() => stop(new ToolFailure(`grep timed out after ${GREP_TIMEOUT_MS / 1000} s; narrow the pattern or path`)), GREP_TIMEOUT_MS);
    const onAbort = () => stop(new ToolFailure('grep was aborted'));
    if (signal?.aborted) onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    proc.stdout.setEncoding('utf8');
    proc.stdout.on('data', (chunk: string) => {
      if (sink.full) return;
      const parts = (pending + chunk).split('\n');
      pending = parts.pop() as string;
      for (const part of parts) if (!sink.line(part)) return stop(null);
    });
    proc.stderr.setEncoding('utf8');
    proc.stderr.on('data', (chunk: string) => {
      if (stderr.length < 4096) stderr += chunk;
    });
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    // The launcher died: no 'close' follows.
    proc.on('error', (err) => {
      done();
      reject(new ToolFailure(`rg stopped: ${err.message}`));
    });
    proc.on('close', (code) => {
      done();
      if (stopped) return reject(stopped);
      if (pending && !sink.full) sink.line(pending);
      if (sink.full || code === 0 || code === 1) return resolve();
      const message = stderr.trim() || `rg exited with code ${code}`;
      if (sink.lines.length === 0) {
        if (/regex parse error|error parsing regex/i.test(message)) {
          return reject(new ToolFailure(`invalid regular expression ${JSON.stringify(pattern)} (ripgrep syntax):\n${message}`));
        }
        return reject(new ToolFailure(`grep failed: ${message}`));
      }
      sink.line(`[rg reported errors: ${message}]`);
      resolve();
    });
  });
}

export async function runGrep(root: string, input: GrepInput, maxOutputChars: number, rg: string | null, signal?: AbortSignal): Promise<ToolOutcome> {
  const start = await resolveInRoot(root, input.path ?? '.');
  await stat(start.abs).catch((err: unknown) => {
    throw new ToolFailure(fsErrorText(err, start.rel));
  });
  const realRoot = await realpath(root);
  const sink = new Budget(maxOutputChars);
  if (rg) await grepWithRipgrep(rg, input.pattern, realRoot, path.relative(realRoot, start.abs), sink, signal);
  else await grepWithJs(input.pattern, realRoot, start.abs, sink, signal);
  if (sink.lines.length === 0) return textOutcome(`No matches for ${JSON.stringify(input.pattern)} in ${start.rel}.`);
  if (sink.full) sink.lines.push(`[more matches not shown: output is limited to ${maxOutputChars} characters; narrow the pattern or path]`);
  return textOutcome(sink.lines.join('\n'));
}
