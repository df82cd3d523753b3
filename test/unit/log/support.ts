import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { StoredEvent } from '../../../src/log';

/** A fresh temp directory per test, removed by the returned cleanup. */
export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'hangar-log-'));
  return { dir, cleanup: () => fsp.rm(dir, { recursive: true, force: true }) };
}

export function event(type: string, extra: Record<string, unknown> = {}, processedAt: string | null = new Date().toISOString()): StoredEvent {
  return { id: '', type, processed_at: processedAt, ...extra };
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `cond` until true; fails after `timeoutMs` (a hang guard, not a speed assertion). */
export async function until(cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(10);
  }
}

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'log-child.ts');

export interface Child {
  proc: ChildProcess;
  lines: string[];
  /** Resolves with the first stdout line that satisfies `pred` (already seen or future). */
  waitFor(pred: (line: string) => boolean, timeoutMs?: number): Promise<string>;
  exited: Promise<number | null>;
}

/** Runs test/unit/log/fixtures/log-child.ts in a separate Node process (via tsx). */
export function spawnChild(...args: string[]): Child {
  const proc = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines: string[] = [];
  const waiters: { pred: (l: string) => boolean; resolve: (l: string) => void }[] = [];
  readline.createInterface({ input: proc.stdout! }).on('line', (line) => {
    lines.push(line);
    for (const w of [...waiters]) {
      if (w.pred(line)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(line);
      }
    }
  });
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  return {
    proc,
    lines,
    exited,
    waitFor(pred, timeoutMs = 20_000) {
      const seen = lines.find(pred);
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`child never printed the expected line; got ${lines.slice(-5).join(' | ')}`)), timeoutMs);
        waiters.push({
          pred,
          resolve: (l) => {
            clearTimeout(timer);
            resolve(l);
          },
        });
        void exited.then(() => setTimeout(() => reject(new Error(`child exited; last lines ${lines.slice(-5).join(' | ')}`)), 50));
      });
    },
  };
}
