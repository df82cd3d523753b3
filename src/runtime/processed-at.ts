import type { SessionEvent } from '../wire';

// A user.message sent while a turn runs waits for the next model request (steering), so it is appended queued, with
// processed_at null, and its echo says so. The log is append-only, so the time it was really taken into a model
// request is derived when the event is read: the start of the first model request after it (a compaction request,
// which only summarises, does not count). Until that request starts, the message stays null. See ARCHITECTURE.md.

/** `e` (at position `seq` of `events`) as readers see it: a queued message gets the time it was processed, if it was. */
export function withProcessedAt(events: readonly SessionEvent[], e: SessionEvent, seq: number): SessionEvent {
  if (e.processed_at !== null || e.type !== 'user.message') return e;
  for (let i = seq + 1; i < events.length; i++) {
    const next = events[i]!;
    if (next.type === 'span.model_request_start' && next._hangar?.purpose === undefined) return { ...e, processed_at: next.processed_at };
  }
  return e;
}
