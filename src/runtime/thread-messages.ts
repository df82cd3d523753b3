import type { EventParams } from '../wire';
import { invalid } from './errors';
import { primaryThreadId, type SessionThread } from './threads';

/**
 * A user.message naming a sub-agent thread steers that thread; it is checked before it is queued, so a bad one is
 * refused even when another process drives the session. A finished turn is no obstacle (the message starts the
 * thread's next one, as a coordinator's follow-up does); an archived thread takes no more messages.
 */
export async function checkThreadMessages(id: string, params: readonly EventParams[], threads: () => Promise<SessionThread[]>): Promise<void> {
  const named = params.flatMap((p) => (p.type === 'user.message' && p.session_thread_id && p.session_thread_id !== primaryThreadId(id) ? [p.session_thread_id] : []));
  if (named.length === 0) return;
  const known = await threads();
  for (const tid of named) {
    const t = known.find((x) => x.id === tid);
    if (!t) throw invalid(`session_thread_id ${tid} names no thread of session ${id}; list the session's threads to see valid ids.`);
    if (t.status === 'terminated') {
      throw invalid(`Thread ${tid} (agent "${t.agent.name}") is archived and takes no more messages; message the coordinator instead (user.message without session_thread_id), which can start a new thread for that agent.`);
    }
  }
}
