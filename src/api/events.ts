import * as z from 'zod';
import { SendEventsParams, publicEvent, type SessionEvent } from '../wire';
import type { Page } from '../log/paging';
import { servedEvents, streamSessionEvents } from './event-stream';
import { HangarInclude } from '../wire/hangar-include';
import { paging, qCreatedAt, qList, qOrder } from './query';
import { route } from './router';

// /v1/sessions/:id/events (reference §2.4): the persisted history (never previews), sending, and the live stream.
// Hangar's own events (checkpoints, rewinds) only for a client that asks (wire/hangar-include.ts).

const ListQuery = z.strictObject({
  ...paging,
  order: qOrder.optional(),
  types: qList(z.string().regex(/^[a-z_]+\.[a-z_]+$/, 'types[] values are event types such as agent.message')).optional(),
  created_at: qCreatedAt.optional(),
  hangar_include: qList(HangarInclude.refine((v) => v === 'checkpoints', 'tool_output is a live preview: ask for it on the event stream (GET …/events/stream), the list holds logged events only')).optional(),
});

/** Events as the API serves them: Hangar's private part of each record (thinking content, bookkeeping) stays home. */
export function publicPage(page: Page<SessionEvent>): Page<Omit<SessionEvent, '_hangar'>> {
  return { ...page, data: page.data.map(publicEvent) };
}

export const eventRoutes = [
  route('GET', '/v1/sessions/:session_id/events', async (c) => {
    const { hangar_include, ...q } = c.query(ListQuery);
    return publicPage(await c.runtime.sessions.listEvents(c.params.session_id!, { ...q, where: servedEvents(c.params.session_id!, hangar_include) }));
  }),
  route('POST', '/v1/sessions/:session_id/events', async (c) => {
    const { events } = await c.body(SendEventsParams.strict());
    return { data: await c.runtime.sessions.send(c.params.session_id!, events) };
  }),
  route('GET', '/v1/sessions/:session_id/events/stream', (c) => streamSessionEvents(c, c.params.session_id!)),
];
