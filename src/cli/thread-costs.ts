import type { Runtime } from '../runtime';
import { inThread, type SessionThread } from '../runtime/threads';
import { summarize, type PricingOf, type SessionEvent } from '../wire';

// Each thread's cost for the terminal, folded from the thread's own events with the fold every surface uses (each
// request priced with the model that made it), so the threads' costs add up to the session's to the fraction of a
// cent: the wire's list_cost is whole cents, which would not.

export interface ThreadCost {
  thread: SessionThread;
  costCents: number;
  /** Some of it was priced without a list price for its model: the cost is an estimate. */
  costEstimated: boolean;
}

export async function threadCosts(rt: Runtime, sessionId: string): Promise<ThreadCost[]> {
  const events: SessionEvent[] = [];
  for (let page: string | undefined; ; ) {
    const res = await rt.sessions.listEvents(sessionId, { limit: 1000, page });
    events.push(...res.data);
    if (!res.next_page) break;
    page = res.next_page;
  }
  const pricing = await eventPricing(rt, sessionId);
  return (await rt.sessions.threads(sessionId)).map((thread) => {
    const { costCents, costEstimated } = summarize(events.filter(inThread(thread.id, sessionId)), pricing);
    return { thread, costCents, costEstimated };
  });
}

/** Prices each event with the model that made it: a sub-agent's span ends name theirs, the rest are the session's. */
export async function eventPricing(rt: Runtime, sessionId: string): Promise<PricingOf> {
  const own = rt.catalog.lookup((await rt.sessions.record(sessionId)).agent.model.id);
  return (e) => (e._hangar?.model ? rt.catalog.lookup(e._hangar.model) : own);
}
