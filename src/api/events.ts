import * as z from 'zod';
import { SendEventsParams, publicEvent, type SessionEvent } from '../wire';
import type { Page } from '../log/paging';
import { streamSessionEvents } from './event-stream';
import { inSessionView } from '../runtime/threads';
import { paging, qCreatedAt, qList, qOrder } from './query';
import { route } from './router';

// /v1/sessions/:id/events (reference §2.4): the persisted history (never previews), sending, and the live stream.

const ListQuery = z.strictObject({
  ...paging,
  order: qOrder.optional(),
  types: qList(z.string().regex(/^[a-z_]+\.[a-z_]+$/, 'types[] values are event types such as agent.message')).optional(),
  created_at: qCreatedAt.optional(),
});

/** Events as the API serves them: Hangar's private part of each record (thinking content, bookkeeping) stays home. */
export function publicPage(page: Page<SessionEvent>): Page<Omit<SessionEvent, '_hangar'>> {
  return { ...page, data: page.data.map(publicEvent) };
}

export const eventRoutes = [
  route('GET', '/v1/sessions/:session_id/events', async (c) => publicPage(await c.runtime.sessions.listEvents(c.params.session_id!, { ...c.query(ListQuery), where: inSessionView }))),
  route('POST', '/v1/sessions/:session_id/events', async (c) => {
    const { events } = await c.body(SendEventsParams.strict());
    return { data: await c.runtime.sessions.send(c.params.session_id!, events) };
  }),
  route('GET', '/v1/sessions/:session_id/events/stream', (c) => streamSessionEvents(c, c.params.session_id!)),
];
