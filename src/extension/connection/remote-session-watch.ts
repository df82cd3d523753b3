import type { ConnectionState } from './runtime-client';

// How RemoteRuntimeClient.watchSessions sees a detached runtime's sessions move: status and usage change there
// without a file to watch, so the list is polled; a failed poll is a lost runtime, retried with backoff.

export const POLL_MS = 2_000;
const BACKOFF_MS = [1_000, 2_000, 5_000, 10_000];

export interface SessionPollOptions {
  /** One look at the list, as a digest that changes when anything shown of a session does. */
  digest(): Promise<string>;
  onChange(): void;
  /** The runtime answered again after failed polls, or a poll failed (with the wait before the next). */
  onState(state: ConnectionState): void;
}

/** Polls until the returned function is called; onChange fires when a poll's digest differs from the one before. */
export function pollSessions(opts: SessionPollOptions): () => void {
  let digest: string | undefined;
  let failures = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  const poll = async () => {
    try {
      const now = await opts.digest();
      if (failures > 0) opts.onState({ up: true });
      failures = 0;
      if (digest !== undefined && now !== digest) opts.onChange();
      digest = now;
      schedule(POLL_MS);
    } catch (err) {
      const wait = BACKOFF_MS[Math.min(failures++, BACKOFF_MS.length - 1)]!;
      opts.onState({ up: false, reason: err instanceof Error ? err.message : String(err), retryInMs: wait });
      schedule(wait);
    }
  };
  const schedule = (ms: number) => {
    if (!stopped) timer = setTimeout(() => void poll(), ms);
  };
  void poll();
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
  };
}
