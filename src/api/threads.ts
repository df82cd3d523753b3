import { z } from 'zod';
import { SessionStatus } from '../wire';
import type { Runtime } from '../runtime';
import { notFound } from '../runtime/errors';
import { primaryThread, primaryThreadId } from '../runtime/threads';
import { badRequest } from './errors';
import { streamSessionEvents } from './event-stream';
import { publicPage } from './events';
import { paging, qList } from './query';
import { route } from './router';

// /v1/sessions/:id/threads (reference §2.6). Hangar runs one thread per session, so the thread endpoints show the
// primary thread and its events are the session's.

const ListQuery = z.strictObject({ ...paging, statuses: qList(SessionStatus).optional() });
const EventsQuery = z.strictObject(paging);

async function thread(runtime: Runtime, sessionId: string, threadId: string) {
  const session = await runtime.sessions.retrieve(sessionId);
  if (threadId !== primaryThreadId(session.id)) throw notFound('Session thread', threadId);
  return primaryThread(session);
}

export const threadRoutes = [
  route('GET', '/v1/sessions/:session_id/threads', async (c) => {
    const q = c.query(ListQuery);
    if (q.page) throw badRequest('page is not a cursor this server issued; a session has one thread, so there is no next page.');
    const t = primaryThread(await c.runtime.sessions.retrieve(c.params.session_id!));
    return { data: !q.statuses || q.statuses.includes(t.status) ? [t] : [], next_page: null };
  }),
  route('GET', '/v1/sessions/:session_id/threads/:thread_id', async (c) => thread(c.runtime, c.params.session_id!, c.params.thread_id!)),
  route('POST', '/v1/sessions/:session_id/threads/:thread_id/archive', async (c) => {
    await thread(c.runtime, c.params.session_id!, c.params.thread_id!);
    throw badRequest('The primary thread cannot be archived on its own; archive the session instead.');
  }),
  route('GET', '/v1/sessions/:session_id/threads/:thread_id/events', async (c) => {
    const q = c.query(EventsQuery);
    await thread(c.runtime, c.params.session_id!, c.params.thread_id!);
    return publicPage(await c.runtime.sessions.listEvents(c.params.session_id!, q));
  }),
  route('GET', '/v1/sessions/:session_id/threads/:thread_id/stream', async (c) => {
    await thread(c.runtime, c.params.session_id!, c.params.thread_id!);
    return streamSessionEvents(c, c.params.session_id!);
  }),
];
