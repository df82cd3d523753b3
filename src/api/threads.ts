import * as z from 'zod';
import { SessionStatus } from '../wire';
import type { Runtime } from '../runtime';
import { notFound } from '../runtime/errors';
import { inThread } from '../runtime/threads';
import { decodeCursor, encodeCursor } from '../log/paging';
import { streamSessionEvents } from './event-stream';
import { publicPage } from './events';
import { paging, qList } from './query';
import { route } from './router';

// /v1/sessions/:id/threads (reference §2.6): the primary thread and every sub-agent thread, folded from the session's
// log; a thread's events and stream are its own (the session's show the primary thread plus condensed activity).

const ListQuery = z.strictObject({ ...paging, statuses: qList(SessionStatus).optional() });
const EventsQuery = z.strictObject(paging);

async function thread(runtime: Runtime, sessionId: string, threadId: string) {
  const found = (await runtime.sessions.threads(sessionId)).find((t) => t.id === threadId);
  if (!found) throw notFound('Session thread', threadId);
  return found;
}

export const threadRoutes = [
  route('GET', '/v1/sessions/:session_id/threads', async (c) => {
    const q = c.query(ListQuery);
    const threads = (await c.runtime.sessions.threads(c.params.session_id!)).filter((t) => !q.statuses || q.statuses.includes(t.status));
    // Threads are listed in creation order (the primary first); a cursor is the position after the last one given.
    const start = q.page ? decodeCursor(q.page, 'threads', 'asc', z.number().int().min(0)) : 0;
    const end = start + (q.limit ?? 20);
    return { data: threads.slice(start, end), next_page: end < threads.length ? encodeCursor('threads', 'asc', end) : null };
  }),
  route('GET', '/v1/sessions/:session_id/threads/:thread_id', async (c) => thread(c.runtime, c.params.session_id!, c.params.thread_id!)),
  route('POST', '/v1/sessions/:session_id/threads/:thread_id/archive', async (c) => c.runtime.sessions.archiveThread(c.params.session_id!, c.params.thread_id!)),
  route('GET', '/v1/sessions/:session_id/threads/:thread_id/events', async (c) => {
    const q = c.query(EventsQuery);
    const t = await thread(c.runtime, c.params.session_id!, c.params.thread_id!);
    return publicPage(await c.runtime.sessions.listEvents(c.params.session_id!, { ...q, where: inThread(t.id, t.session_id) }));
  }),
  route('GET', '/v1/sessions/:session_id/threads/:thread_id/stream', async (c) => {
    const t = await thread(c.runtime, c.params.session_id!, c.params.thread_id!);
    return streamSessionEvents(c, c.params.session_id!, t.id);
  }),
];
