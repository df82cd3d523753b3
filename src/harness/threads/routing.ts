import type { EventParams } from '../../wire';
import { InvalidEventError } from '../delivery';
import type { Thread } from './thread';

// Which threads a user event of a multi-agent session is for. Answers to calls are routed by the call's id (a client
// may echo session_thread_id or not); a message or an interrupt names its thread, or is the coordinator's / everyone's.

export function userEventTargets(p: EventParams, threads: ReadonlyMap<string, Thread>, primary: Thread): Thread[] {
  switch (p.type) {
    case 'user.message': {
      // The user steering one sub-agent (Hangar's session_thread_id on user.message; the runtime checked the id).
      if (!p.session_thread_id || p.session_thread_id === primary.info.id) return [primary];
      const t = threads.get(p.session_thread_id);
      if (!t) throw new InvalidEventError(`session_thread_id ${p.session_thread_id} names no thread of this session; list the session's threads to see valid ids.`);
      if (t.state.status === 'terminated') throw new InvalidEventError(`Thread ${t.info.id} (agent "${t.info.agentName}") is archived and takes no more messages; message the coordinator instead.`);
      return [t];
    }
    case 'user.interrupt': {
      if (!p.session_thread_id) return [...threads.values()].filter((t) => t.state.status !== 'terminated');
      const t = threads.get(p.session_thread_id);
      if (!t) throw new InvalidEventError(`session_thread_id ${p.session_thread_id} names no thread of this session; list the session's threads to see valid ids.`);
      return [t];
    }
    case 'user.tool_confirmation':
      return [ownerOf(p.tool_use_id, threads, primary)];
    case 'user.custom_tool_result':
      return [ownerOf(p.custom_tool_use_id, threads, primary)];
    case 'user.define_outcome':
      throw new InvalidEventError('Outcomes (user.define_outcome) are not supported in multi-agent sessions yet; give the coordinator the task as a user.message.');
  }
}

function ownerOf(toolUseId: string, threads: ReadonlyMap<string, Thread>, primary: Thread): Thread {
  for (const t of threads.values()) if (t.state.toolUseKinds.has(toolUseId)) return t;
  return primary;
}
