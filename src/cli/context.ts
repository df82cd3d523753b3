import path from 'node:path';
import type { Runtime } from '../runtime';
import type { StoredSessions } from '../runtime/stored-sessions';
import { createProvider, type ProviderKind } from '../runtime/providers';
import type { SandboxProvider } from '../sandbox/types';
import { defaultStorage } from './storage-dir';
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
   * ready Docker containers kept per environment (serve); `warmPoolMax`: what a burst of sessions may grow that to.
   */
  | { for: 'new'; warmPool?: number; warmPoolMax?: number }
  /** The command works on one session: the provider it was created with. */
  | { for: 'session'; id: string; needsSandbox: boolean };

export async function withRuntime(c: Common, choice: ProviderChoice, fn: (rt: Runtime) => Promise<number>): Promise<number> {
  // The runtime (harness, tools, MCP, egress) loads when a command opens one: --help and `sessions` never do.
  const { openCliRuntime } = await import('./env');
  const storage = c.storage ?? defaultStorage();
  const sandbox = await chooseProvider(storage, c.provider, choice);
  const rt = await openCliRuntime({ storage: c.storage, sandbox, onProgress: progress });
  let closing: Promise<CloseOutcome> | undefined;
  const close = () => (closing ??= closeWithin(rt, CLOSE_DEADLINE_MS));
  const unregister = onShutdown(async () => void (await close()));
  let code: number | undefined;
  try {
    code = await fn(rt);
    return code;
  } finally {
    unregister();
    // A close cut off by the deadline leaves what hung (a child, a socket) holding the process open: end it here.
    if ((await close()) === 'late' && code !== undefined) process.exit(code);
  }
}

/**
 * How long closing the runtime may take before the command ends anyway. Every event is durable when it is appended
 * (the log survives a SIGKILL, and the next process repairs and resumes), so a close that hangs on a sandbox or a
 * connection must not keep a stopped `hangar serve` alive: a service manager would kill it later with less said.
 */
const CLOSE_DEADLINE_MS = 15_000;

/** Closed; closed with failures (said on stderr, every step still ran: close-steps.ts); not finished in time (said too). */
type CloseOutcome = 'closed' | 'failed' | 'late';

async function closeWithin(rt: Runtime, ms: number): Promise<CloseOutcome> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), ms)));
  // A failed close is the command's problem no more than a cut one: its events are durable; say what failed and go on.
  const closed = rt.close().then(
    () => 'closed' as const,
    (err: unknown) => {
      process.stderr.write(`warning: the runtime closed with errors (session logs are durable; the next hangar process repairs and resumes): ${err instanceof Error ? err.message : String(err)}\n`);
      return 'failed' as const;
    },
  );
  const outcome = await Promise.race([closed, late]).finally(() => clearTimeout(timer));
  if (outcome === 'late') process.stderr.write(`warning: the runtime did not finish closing within ${ms / 1000} s; exiting anyway (session logs are durable, and the next hangar process resumes what was cut).\n`);
  return outcome;
}

/** For a command that only reads stored sessions (sessions): no runtime and no sandbox provider are opened. */
export async function withStoredSessions(c: Common, fn: (stored: StoredSessions) => Promise<number>): Promise<number> {
  const { StoredSessions } = await import('../runtime/stored-sessions');
  return fn(new StoredSessions(c.storage ?? defaultStorage()));
}

async function chooseProvider(storage: string, requested: ProviderKind, choice: ProviderChoice): Promise<SandboxProvider> {
  // Loaded here, not with the module: every command's definition imports this one, and choosing reads session records.
  const { providerForNewSessions, providerForSession } = await import('./providers');
  switch (choice.for) {
    case 'none':
      return createProvider('local', storage);
    case 'new':
      return providerForNewSessions(storage, requested, (m) => process.stderr.write(`${paint(process.stderr.isTTY === true)('yellow', m)}\n`), choice.warmPool, choice.warmPoolMax);
    case 'session':
      return providerForSession(storage, choice.id, requested, choice.needsSandbox);
  }
}

export function sessionDir(rt: Runtime, id: string): string {
  return path.join(rt.options.storageRoot, 'sessions', id);
}
