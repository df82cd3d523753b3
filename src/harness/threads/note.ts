import type { SessionThreadAgent } from '../../wire';
import { agentMarker } from '../../model/types';
import type { ThreadInfo } from './view';

/** The roster as the coordinator sees it, one `- name: description` line per agent. */
export function rosterLines(members: readonly SessionThreadAgent[]): string[] {
  return members.map((m) => `- ${m.name}${m.description ? `: ${m.description}` : ''}`);
}

/** What a thread's system prompt adds to the session's environment note: who it is and whom it works with. */
export function threadNote(t: ThreadInfo, members: readonly SessionThreadAgent[], coordinator: ThreadInfo, inline: boolean): string {
  if (t.primary) {
    const roster = members.length > 0 ? `You can delegate to these agents, each working in a thread of its own on the same files as you:\n${rosterLines(members).join('\n')}\n` : '';
    const own = inline ? 'You can also define an agent of your own for a task (send_to_agent with inline_agent): its own name, system prompt and a subset of your tools.\n' : '';
    return (
      `${agentMarker(t.agentName)}, the coordinator of this session (thread ${t.id}). ${roster}${own}` +
      'Start one with send_to_agent; it returns at once and the agent’s answer arrives later as a message from it. Agents run in parallel: ' +
      'start all the independent work first, then end your turn to wait for the answers.'
    );
  }
  return (
    `${agentMarker(t.agentName)} (thread ${t.id}), a sub-agent working for the coordinator "${coordinator.agentName}". ` +
    'Your task arrives as a message from it, and your last message when you end your turn is sent back to it as your answer. ' +
    'Other agents may be changing other files at the same time: change only what your task needs.'
  );
}
