import * as z from 'zod';
import { publicEvent, type SessionEvent, type StreamPreview } from '../wire';
import { envelope, toFailure } from './errors';
import { STREAMED, type Ctx } from './router';
import { qList } from './query';
import { inSessionView, inThread, isHangarEvent } from '../runtime/threads';
import { HangarInclude } from '../wire/hangar-include';

// GET …/events/stream (reference §4): live only, from the moment the connection opened; stays open across idle;
// ends after session.deleted. Previews (event_start / event_delta) only for the types a client opted into; Hangar's
// checkpoint events and tool output previews only for a client that asked (`hangar_include`, wire/hangar-include.ts).

const PREVIEWABLE = ['agent.message', 'agent.thinking'] as const;
export const StreamQuery = z.strictObject({
  event_deltas: qList(z.enum(PREVIEWABLE, { error: 'event_deltas values are agent.message or agent.thinking' }))
    .refine((v) => v.length <= 100, 'event_deltas holds at most 100 values')
    .optional(),
  hangar_include: qList(HangarInclude).optional(),
});

/**
 * Which logged events a listing or stream serves: the session-level view (or one thread's), plus the log's
 * hangar.checkpoint and hangar.rewind events when the client opted into them (they are the session's, logged untagged,
 * and cut every thread's conversation alike).
 */
export function servedEvents(sessionId: string, include: readonly HangarInclude[] | undefined, thread?: string): (e: SessionEvent) => boolean {
  const where = thread === undefined ? inSessionView : inThread(thread, sessionId);
  return include?.includes('checkpoints') ? (e) => isHangarEvent(e) || where(e) : where;
}

/**
 * `thread` narrows the stream to one thread's events and previews; without it the stream is the session-level view
 * (the primary thread plus condensed sub-thread activity).
 */
export async function streamSessionEvents(c: Ctx, sessionId: string, thread?: string): Promise<typeof STREAMED> {
  const query = c.query(StreamQuery);
  const where = servedEvents(sessionId, query.hangar_include, thread);
  const deltas = new Set(query.event_deltas ?? []);
  const toolOutput = query.hangar_include?.includes('tool_output') === true;
  // Validates the session (a 404 is still possible here) and fixes where "live" starts.
  const from = await c.runtime.sessions.eventCount(sessionId);
  const sse = c.streams.start(c.req, c.res);
  const previewing = new Set<string>();
  const onEvent = (e: SessionEvent) => {
    if (!where(e)) return;
    sse.send(e.type, publicEvent(e));
    previewing.delete(e.id);
    if (e.type === 'session.deleted') sse.close();
  };
  const onPreview = (p: StreamPreview) => {
    // A running tool's live output is Hangar's own preview; the reference's streams carry none (§3.3).
    if (p.type === 'tool_output') {
      if (toolOutput) sse.send('tool_output', p);
      return;
    }
    if (p.type === 'event_start') {
      if (!deltas.has(p.event.type) || previewing.has(p.event.id)) return;
      previewing.add(p.event.id);
      sse.send('event_start', p);
    } else if (previewing.has(p.event_id)) {
      sse.send('event_delta', p);
    }
  };
  try {
    const off = await c.runtime.sessions.subscribe(sessionId, from, onEvent, deltas.size > 0 || toolOutput ? onPreview : undefined, thread);
    sse.onClose(off);
  } catch (err) {
    // Headers are out, so the failure travels as an `event: error` frame, which the SDK throws as an APIError.
    sse.send('error', envelope(toFailure(err), c.requestId));
    sse.close();
  }
  return STREAMED;
}
