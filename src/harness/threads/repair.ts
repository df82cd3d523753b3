import type { NewEvent, SessionEvent, UserContentBlock } from '../../wire';
import type { PendingToolUse } from '../state';
import { resultEvent } from '../turn';
import { receivedEvent } from './message';
import type { ThreadInfo } from './view';

const DID_NOT_HAPPEN = 'This send_to_agent call did not take effect (Hangar stopped before it did). Call it again if it is still needed.';

/**
 * The events that complete a send_to_agent call a crash cut short. Its effects are logged before its result, each
 * marked with the call's id, so what was started (the thread, the message) is completed and the call answered once,
 * or, when nothing was started, answered as not having happened.
 */
export function delegationRepair(use: PendingToolUse, raw: readonly SessionEvent[], coordinator: ThreadInfo, thread: (id: string) => ThreadInfo | undefined): NewEvent[] {
  const mark = (e: SessionEvent) => e._hangar?.delegation === use.id;
  const created = raw.find((e): e is Extract<SessionEvent, { type: 'session.thread_created' }> => e.type === 'session.thread_created' && mark(e));
  const sent = raw.find((e): e is Extract<SessionEvent, { type: 'agent.thread_message_sent' }> => e.type === 'agent.thread_message_sent' && mark(e));
  const received = raw.some((e) => e.type === 'agent.thread_message_received' && mark(e));
  const targetId = created?.session_thread_id ?? sent?.to_session_thread_id ?? (typeof use.input.session_thread_id === 'string' ? use.input.session_thread_id : null);
  const target = targetId ? thread(targetId) : undefined;
  const message = typeof use.input.message === 'string' ? use.input.message : '';
  const content: UserContentBlock[] = [{ type: 'text', text: message }];
  const fix: NewEvent[] = [];
  if (!target || (!created && !sent)) fix.push(resultEvent('builtin', use.id, DID_NOT_HAPPEN, true));
  else {
    if (!sent) fix.push({ type: 'agent.thread_message_sent', to_session_thread_id: target.id, to_agent_name: target.agentName, content, _hangar: { delegation: use.id } });
    if (!received) fix.push(receivedEvent(coordinator, target, content, { delegation: use.id }));
    fix.push(resultEvent('builtin', use.id, created ? `Started thread ${target.id}: agent "${target.agentName}" is working on it. Its answer will arrive as a message from it.` : `Sent to thread ${target.id} (agent "${target.agentName}").`, false));
  }
  return fix;
}
