import path from 'node:path';
import type { Runtime } from '../runtime';
import type { StoredSessions } from '../runtime/stored-sessions';
import { createProvider, type ProviderKind } from '../runtime/providers';
import type { SandboxProvider } from '../sandbox/types';
import { defaultStorage } from './storage-dir';
import { providerForNewSessions, providerForSession } from './providers';
import { progress } from './progress';
import { paint } from './render';
import { onShutdown } from './shutdown';

// What every command shares: the global options, and a runtime opened with the right sandbox provider that is closed
// when the command ends or the process is told to stop.

export interface Common {
  json?: boolean;
  /** With --json: running commands' live output as tool_output lines too (previews, not in the log). */
  liveOutput?: boolean;
  storage?: string;
  provider: ProviderKind;
  /** A runtime elsewhere (a URL, or "detached"), for the commands remote-flags.ts names. */
  runtime?: string;
  token?: string;
  pin?: string;
  ca?: string;
}

export type ProviderChoice =
  /** The command never touches a sandbox (sessions, set-key): no Docker probe, no notice. */
  | { for: 'none' }
  /**
   * The command creates sessions (run, serve): the requested provider; "auto" says once why it fell back. `warmPool`:
   * ready Docker containers kept per environment (serve).
   */
  | { for: 'new'; warmPool?: number }
  /** The command works on one session: the provider it was created with. */
  | { for: 'session'; id: string; needsSandbox: boolean };

export async function withRuntime(c: Common, choice: ProviderChoice, fn: (rt: Runtime) => Promise<number>): Promise<number> {
  // The runtime (harness, tools, MCP, egress) loads when a command opens one: --help and `sessions` never do.
  const { openCliRuntime } = await import('./env');
  const storage = c.storage ?? defaultStorage();
  const sandbox = await chooseProvider(storage, c.provider, choice);
  const rt = await openCliRuntime({ storage: c.storage, sandbox, onProgress: progress });
  let closing: Promise<void> | undefined;
  const close = () => (closing ??= rt.close());
  const unregister = onShutdown(close);
  try {
    return await fn(rt);
  } finally {
    unregister();
    await close();
  }
}

/** For a command that only reads stored sessions (sessions): no runtime and no sandbox provider are opened. */
export async function withStoredSessions(c: Common, fn: (stored: StoredSessions) => Promise<number>): Promise<number> {
  const { StoredSessions } = await import('../runtime/stored-sessions');
  return fn(new StoredSessions(c.storage ?? defaultStorage()));
}

function chooseProvider(storage: string, requested: ProviderKind, choice: ProviderChoice): Promise<SandboxProvider> {
  switch (choice.for) {
    case 'none':
      return createProvider('local', storage);
    case 'new':
      return providerForNewSessions(storage, requested, (m) => process.stderr.write(`${paint(process.stderr.isTTY === true)('yellow', m)}\n`), choice.warmPool);
    case 'session':
      return providerForSession(storage, choice.id, requested, choice.needsSandbox);
  }
}

export function sessionDir(rt: Runtime, id: string): string {
  return path.join(rt.options.storageRoot, 'sessions', id);
}
