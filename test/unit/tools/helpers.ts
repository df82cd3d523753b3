import { mkdir, mkdtemp, readFile, realpath, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ToolOutcome } from '../../../src/wire/tool-outcome';
import type { ToolHost, ToolHostOptions } from '../../../src/tools/host';
import { createToolHost } from '../../../src/tools/host-impl';

/** A fresh temp dir, as a real path (symlinks resolved). */
export async function tempDir(prefix = 'hangar-test-'): Promise<string> {
  return realpath(await mkdtemp(path.join(os.tmpdir(), prefix)));
}

export function text(outcome: ToolOutcome): string {
  return outcome.content.map((block) => (block.type === 'text' ? block.text : `<${block.type}>`)).join('\n');
}

/** A workspace root inside a parent dir (so tests can place things "outside"), plus a ToolHost on it. */
export interface Fixture {
  parent: string;
  root: string;
  host: ToolHost;
  run(name: string, input: unknown, signal?: AbortSignal): Promise<ToolOutcome>;
  cleanup(): Promise<void>;
}

export async function fixture(options: Partial<ToolHostOptions> = {}): Promise<Fixture> {
  const parent = await tempDir();
  const root = path.join(parent, 'ws');
  await mkdir(root);
  const host = createToolHost({ root, ...options });
  return {
    parent,
    root,
    host,
    run: (name, input, signal) => host.run(name, input, signal),
    async cleanup() {
      await host.dispose();
      await rm(parent, { recursive: true, force: true });
    },
  };
}

/** True while a process with this pid exists and is not a zombie. */
export async function processAlive(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  if (stat === null) return false;
  const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  return state !== 'Z' && state !== 'X';
}

export async function waitFor(check: () => Promise<boolean>, what: string, attempts = 200): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`gave up waiting for ${what}`);
}
