import type { NewEvent, UserContentBlock } from '../../wire';
import type { ThreadInfo } from './view';

/**
 * The event that delivers one thread's message to another: a task to a sub-agent, or an answer to the coordinator.
 * `extra` marks it with the delegation it belongs to or the task it answers, so recovery can tell whether it was
 * logged; a sub-thread's copy also carries the thread it is for.
 */
export function receivedEvent(from: ThreadInfo, to: ThreadInfo, content: UserContentBlock[], extra: { delegation?: string; answers?: string }): NewEvent {
  return {
    type: 'agent.thread_message_received',
    from_session_thread_id: from.id,
    from_agent_name: from.agentName,
    content,
    ...(to.primary ? { _hangar: extra } : { _hangar: { ...extra, thread: to.id } }),
  };
}
