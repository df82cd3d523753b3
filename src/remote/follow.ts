import type Anthropic from '@anthropic-ai/sdk';
import { explainRuntimeError, RuntimeConnectionError } from './connect';
import { HANGAR_INCLUDE, type HangarInclude } from '../wire/hangar-include';

// Follows a session on a runtime elsewhere across that runtime going away and coming back (a restart, a crash, a
// network drop): the log is the runtime's, so a client that reconnects and reads what it missed loses nothing. Each
// connection opens the stream first, then lists the history, so no event falls between the two; events already
// delivered (by id) are skipped, so each reaches the caller once. A caller that asks for previews (streamed text, a
// running tool's output) gets them as they come; they carry no log id and are never replayed after a reconnect.

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
  /** Hangar's extras to ask for (wire/hangar-include.ts): checkpoint events in the history and on the stream, tool output previews. */
  include?: readonly HangarInclude[];
  /** The event types whose text is previewed as it streams (the reference's event_deltas). */
  deltas?: readonly ('agent.message' | 'agent.thinking')[];
  /** Previews (frames without a log id), when `deltas` or `include` asked for some; as the runtime sent them. */
  onPreview?(frame: unknown): void;
}

const BACKOFF_MS = [250, 500, 1000, 2000];

/** Returns when `signal` aborts; throws what is not a lost connection (a refused token, an unknown session). */
export async function followRemoteSession(client: Anthropic, sessionId: string, opts: FollowOptions): Promise<void> {
  const seen = new Set<string>(opts.seen);
  // Hangar's parameter is not in the SDK's params types; the SDK sends every key of the params object as a query parameter.
  const extras = opts.include?.length ? { [HANGAR_INCLUDE]: [...opts.include] } : {};
  const streamParams = Object.assign(opts.deltas?.length ? { event_deltas: [...opts.deltas] } : {}, extras);
  const listParams = Object.assign({ limit: 1000 }, opts.include?.includes('checkpoints') ? { [HANGAR_INCLUDE]: ['checkpoints'] } : {});
  let failures = 0;
  while (!opts.signal.aborted) {
    try {
      const stream = await client.beta.sessions.events.stream(sessionId, streamParams, { signal: opts.signal });
      if (failures > 0) opts.onBack();
      failures = 0;
      for await (const e of client.beta.sessions.events.list(sessionId, listParams, { signal: opts.signal })) deliver(e);
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
    // Every logged event has an id; previews have none.
    const id = 'id' in e ? e.id : undefined;
    if (id === undefined) return opts.onPreview?.(e);
    if (seen.has(id)) return;
    seen.add(id);
    opts.onEvent(e);
  }
}

export interface PreviewFollowOptions {
  /** Each preview frame as the runtime sent it. */
  onPreview(frame: unknown): void;
  signal: AbortSignal;
  url: string;
  deltas: readonly ('agent.message' | 'agent.thinking')[];
  include: readonly HangarInclude[];
}

/**
 * Follows one sub-agent thread's previews (streamed text, a running tool's output) on a runtime elsewhere, for as
 * long as the signal allows: previews are live only, so a stream the runtime closed or lost is opened again and what
 * streamed meanwhile is gone (the logged events come through the session's own follow). Throws what is not a lost
 * connection (an unknown thread).
 */
export async function followThreadPreviews(client: Anthropic, sessionId: string, threadId: string, opts: PreviewFollowOptions): Promise<void> {
  const params = Object.assign({ session_id: sessionId, event_deltas: [...opts.deltas] }, opts.include.length ? { [HANGAR_INCLUDE]: [...opts.include] } : {});
  let failures = 0;
  while (!opts.signal.aborted) {
    try {
      const stream = await client.beta.sessions.threads.events.stream(threadId, params, { signal: opts.signal });
      failures = 0;
      for await (const frame of stream) if (!('id' in frame)) opts.onPreview(frame);
      if (opts.signal.aborted) return;
    } catch (err) {
      if (opts.signal.aborted) return;
      const explained = explainRuntimeError(err, opts.url);
      if (!(explained instanceof RuntimeConnectionError) || explained.kind !== 'unreachable') throw explained;
    }
    await new Promise((resolve) => setTimeout(resolve, BACKOFF_MS[Math.min(failures++, BACKOFF_MS.length - 1)]!));
  }
}
