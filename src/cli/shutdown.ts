import { EXIT } from './exit-codes';

// How the CLI ends on SIGINT, SIGTERM and a closed output pipe: every open runtime is closed first (which ends the
// session drivers and MCP connections, so no stdio server outlives the CLI), then the process exits with 130, 143 or
// 141. A command that wants the first Ctrl-C for itself (following a session interrupts it) claims the signal.

type Signal = 'SIGINT' | 'SIGTERM';
/** Returns true when it handled the signal itself; false lets the process close and exit. */
export type SignalClaim = (signal: Signal) => boolean;

const closers = new Set<() => Promise<void>>();
const claims: SignalClaim[] = [];
let exiting = false;

export function installShutdown(): void {
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') void exitAfterClose(EXIT.brokenPipe);
      else throw err;
    });
  }
}

/** Runs `close` before the process exits on a signal; returns the unregistration. */
export function onShutdown(close: () => Promise<void>): () => void {
  closers.add(close);
  return () => closers.delete(close);
}

/** The newest claim sees a signal first; returns the release. */
export function claimSignals(claim: SignalClaim): () => void {
  claims.push(claim);
  return () => {
    const i = claims.lastIndexOf(claim);
    if (i >= 0) claims.splice(i, 1);
  };
}

function onSignal(signal: Signal): void {
  if (exiting) return;
  const claim = claims.at(-1);
  if (claim?.(signal)) return;
  void exitAfterClose(signal === 'SIGINT' ? EXIT.interrupted : EXIT.terminated);
}

export async function exitAfterClose(code: number): Promise<void> {
  if (exiting) return;
  exiting = true;
  await Promise.allSettled([...closers].map((close) => close()));
  process.exit(code);
}
