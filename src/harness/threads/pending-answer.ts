import type { SessionEvent, UserContentBlock } from '../../wire';
import { answerOf } from './answer';
import { heldForBudget, isQuiet, type Thread } from './thread';
import { threadOf } from './view';

// The answer a sub-agent's ended turn owes the coordinator, decided from the log alone: posting it takes two events
// (the thread's agent.thread_message_sent, the coordinator's agent.thread_message_received), and a wake() after a
// crash between them must post the missing half only, never the answer twice.

export interface PendingAnswer {
  /** The message the turn answered (the coordinator's task, or the user's own message to the thread). */
  inputId: string;
  content: UserContentBlock[];
  sent: boolean;
  received: boolean;
}

/**
 * What of the thread's answer is still to be posted; null when nothing is: the turn has not ended (held for the budget,
 * or waiting for the user), both halves are logged, or an interrupt of the whole session stopped the coordinator too.
 */
export function pendingAnswer(t: Thread, raw: readonly SessionEvent[]): PendingAnswer | null {
  if (!isQuiet(t) || heldForBudget(t)) return null;
  // A thread waiting for the user (wake() finds it so after the process that asked exited) has not finished.
  if (t.state.status !== 'terminated' && t.state.blocked().length > 0) return null;
  const events = t.view.events();
  const inputAt = events.findLastIndex((e) => e.type === 'user.message');
  if (inputAt < 0) return null;
  const input = events[inputAt]!;
  const inputId = input.id;
  const sent = raw.some((e) => e.type === 'agent.thread_message_sent' && threadOf(e) === t.info.id && e._hangar?.answers === inputId);
  const received = raw.some((e) => e.type === 'agent.thread_message_received' && threadOf(e) === null && e._hangar?.answers === inputId);
  if (sent && received) return null;
  const after = events.slice(inputAt + 1);
  if (after.some((e) => e.type === 'user.interrupt' && !e.session_thread_id)) return null;
  // A message the user sent this thread directly: the coordinator is told what it answers.
  const steered = input.type === 'user.message' && input.session_thread_id ? input.content : null;
  return { inputId, content: answerOf(after, t.state.lastStopReason, steered), sent, received };
}
