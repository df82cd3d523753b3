import type { SessionLog } from '../log';
import type { HarnessLog } from '../harness/driver';
import { nowIso, type NewEvent, type SessionEvent } from '../wire';

// How the harness appends to a session's log: ids and processed_at filled in, every idle with its stop_details, and
// an fsync only when the batch holds an event that must survive a crash before anything else happens.

// Events that precede a side effect or that someone is told about are fsynced before the append resolves; the rest
// (status_running, spans, agent text) are written at once and made durable by the next fsync (group commit). A
// process crash loses neither kind; only a power cut can lose a non-durable tail, which wake() repairs like a crash.
const DURABLE = new Set<string>([
  'user.message',
  'user.interrupt',
  'user.tool_confirmation',
  'user.custom_tool_result',
  'agent.tool_use',
  'agent.mcp_tool_use',
  'agent.custom_tool_use',
  'agent.tool_result',
  'agent.mcp_tool_result',
  'session.status_idle',
  'session.status_terminated',
  'session.thread_created',
  'session.thread_status_idle',
  'session.thread_status_terminated',
  'agent.thread_message_sent',
  'agent.thread_message_received',
  'session.updated',
  'session.deleted',
  // A rewind is the intent a wake completes (checkpoints.ts#repair): it must be on disk before the files change.
  'hangar.rewind',
]);

export function harnessLog(log: SessionLog<SessionEvent>): HarnessLog {
  return {
    events: () => log.events(),
    append: async (events: NewEvent[]) => {
      const now = nowIso();
      const full = events.map((e) => withStopDetails({ ...e, id: e.id ?? '', processed_at: e.processed_at === undefined ? now : e.processed_at } as SessionEvent));
      const records = await log.append(full, { durable: full.some((e) => DURABLE.has(e.type)) });
      return records.map((r) => r.event);
    },
  };
}

/** The SDK declares stop_details required (nullable) on every idle: a typed client tests `!== null` on it. */
function withStopDetails(e: SessionEvent): SessionEvent {
  if (e.type !== 'session.status_idle' && e.type !== 'session.thread_status_idle') return e;
  return { ...e, stop_details: e.stop_details ?? null };
}
