import type Anthropic from '@anthropic-ai/sdk';
import { explainRuntimeError, RuntimeConnectionError } from './connect';

// Follows a session on a runtime elsewhere across that runtime going away and coming back (a restart, a crash, a
// network drop): the log is the runtime's, so a client that reconnects and reads what it missed loses nothing. Each
// connection opens the stream first, then lists the history, so no event falls between the two; events already
// delivered (by id) are skipped, so each reaches the caller once.

export type RemoteEvent = Anthropic.Beta.Sessions.BetaManagedAgentsSessionEvent | Anthropic.Beta.Sessions.BetaManagedAgentsStreamSessionEvents;

export interface FollowOptions {
  onEvent(e: RemoteEvent): void;
  /** The runtime stopped answering; `retryInMs` until the next attempt. */
  onLost(err: RuntimeConnectionError, retryInMs: number): void;
  onBack(): void;
  signal: AbortSignal;
  url: string;
  /** Ids of events the caller already holds: not delivered again. */
  seen?: Iterable<string>;
}

const BACKOFF_MS = [250, 500, 1000, 2000];

/** Returns when `signal` aborts; throws what is not a lost connection (a refused token, an unknown session). */
export async function followRemoteSession(client: Anthropic, sessionId: string, opts: FollowOptions): Promise<void> {
  const seen = new Set<string>(opts.seen);
  let failures = 0;
  while (!opts.signal.aborted) {
    try {
      const stream = await client.beta.sessions.events.stream(sessionId, {}, { signal: opts.signal });
      if (failures > 0) opts.onBack();
      failures = 0;
      for await (const e of client.beta.sessions.events.list(sessionId, { limit: 1000 }, { signal: opts.signal })) deliver(e);
      for await (const e of stream) deliver(e);
      // The stream ended without an abort: the runtime closed it (it is stopping).
      if (opts.signal.aborted) return;
      throw new RuntimeConnectionError(`The runtime at ${opts.url} closed the event stream (it is stopping or restarting).`, 'unreachable');
    } catch (err) {
      if (opts.signal.aborted) return;
      const explained = err instanceof RuntimeConnectionError ? err : explainRuntimeError(err, opts.url);
      if (!(explained instanceof RuntimeConnectionError) || explained.kind !== 'unreachable') throw explained;
      const wait = BACKOFF_MS[Math.min(failures++, BACKOFF_MS.length - 1)]!;
      opts.onLost(explained, wait);
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }

  function deliver(e: RemoteEvent): void {
    // Previews (event deltas) carry no log id and are not asked for here; every logged event has one.
    const id = 'id' in e ? e.id : undefined;
    if (id === undefined || seen.has(id)) return;
    seen.add(id);
    opts.onEvent(e);
  }
}
