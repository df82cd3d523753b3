import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';

// Looking for a secret where it must not be: in files under a directory, and in what the process writes.

/** The files under `dir` holding `text` (grep -rlF's output), or '' when none does. */
export function grepFiles(dir: string, text: string): string {
  try {
    return execFileSync('grep', ['-rlF', '--', text, dir], { encoding: 'utf8' });
  } catch (err) {
    // grep exits 1 when nothing matches.
    if ((err as { status?: number }).status !== 1) throw err;
    return '';
  }
}

export function assertTokenAbsent(dir: string, token: string): void {
  const hits = grepFiles(dir, token);
  assert.equal(hits, '', `the token was found in: ${hits}`);
}

/** Copies everything this process writes to stdout and stderr into `into` until the returned function is called. */
export function captureOutput(into: string[]): () => void {
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  const grab = (orig: typeof out) =>
    ((chunk: unknown, ...rest: unknown[]) => {
      into.push(String(chunk));
      return (orig as (...a: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof out;
  process.stdout.write = grab(out);
  process.stderr.write = grab(err);
  return () => {
    process.stdout.write = out;
    process.stderr.write = err;
  };
}
