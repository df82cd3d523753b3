import type { SessionEvent } from '../wire';
import type { SessionService } from './sessions';

/** Every event of a session, page by page, for folds that need the whole log (a commit message draft, a comparison). */
export async function allEvents(sessions: SessionService, id: string): Promise<SessionEvent[]> {
  const events: SessionEvent[] = [];
  for (let page: string | undefined; ; ) {
    const res = await sessions.listEvents(id, { limit: 1000, page });
    events.push(...res.data);
    if (!res.next_page) return events;
    page = res.next_page;
  }
}
