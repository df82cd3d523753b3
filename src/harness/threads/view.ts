import type { NewEvent, SessionEvent } from '../../wire';
import type { HarnessLog } from '../driver';

// One thread of a multi-agent session seen as a session of its own, so the unchanged SessionDriver runs it. All
// threads share the session's one log (ARCHITECTURE.md invariant 1); this view
// - shows the thread only its own events (a sub-thread's carry `_hangar.thread`; the primary thread's carry none),
//   its `session.thread_status_*` as `session.status_*`, and each message another thread sent it
//   (`agent.thread_message_received`) as the user message it is to this thread's model;
// - writes the driver's events as this thread's: status events become `session.thread_status_*` (the session's own
//   status is the supervisor's aggregate), a sub-thread's events are tagged, and its tool calls, confirmations and
//   custom tool results carry `session_thread_id` publicly (they are cross-posted to the session stream).

export interface ThreadInfo {
  id: string;
  agentName: string;
  /** The thread's model: a sub-thread's span ends name it, so its usage is priced with it. */
  model: string;
  /** The primary (coordinator) thread: its events carry no tag. */
  primary: boolean;
}

/** The sub-thread an event of the log belongs to; null for the primary thread. */
export function threadOf(e: { _hangar?: { thread?: string } }): string | null {
  return e._hangar?.thread ?? null;
}

const CROSS_POSTED = new Set<string>(['agent.tool_use', 'agent.mcp_tool_use', 'agent.custom_tool_use', 'user.tool_confirmation', 'user.custom_tool_result']);

export interface ViewHooks {
  /** Events to log in the same write, before the thread's own (the session going running with its first thread). */
  before(thread: ThreadInfo, events: readonly NewEvent[]): NewEvent[];
  /** What the thread appended, as logged: the supervisor follows every thread from here. */
  after(thread: ThreadInfo, events: readonly SessionEvent[]): void;
}

export class ThreadView implements HarnessLog {
  /** Messages from other threads being written right now (not in base.events() yet). */
  private incoming = 0;

  constructor(
    private readonly base: HarnessLog,
    readonly thread: ThreadInfo,
    private readonly hooks: ViewHooks,
  ) {}

  /** Whether a logged event belongs to this thread. */
  owns(e: SessionEvent): boolean {
    return this.thread.primary ? threadOf(e) === null : threadOf(e) === this.thread.id;
  }

  events(): readonly SessionEvent[] {
    const out: SessionEvent[] = [];
    for (const e of this.base.events()) {
      const shown = this.show(e);
      if (shown) out.push(shown);
    }
    return out;
  }

  /** A logged event as this thread's driver sees it; null when it is not this thread's. */
  show(e: SessionEvent): SessionEvent | null {
    // A terminated session ends every thread with it. Checkpoints and rewinds are of the one sandbox every thread
    // shares: each thread's context honours a rewind from its own events up to the checkpoint (harness/rewind.ts).
    if (e.type === 'session.status_terminated' || e.type === 'hangar.checkpoint' || e.type === 'hangar.rewind') return e;
    return this.owns(e) ? this.asSession(e) : null;
  }

  async append(events: NewEvent[]): Promise<SessionEvent[]> {
    const own = events.flatMap((e) => this.toLog(e));
    const messages = own.filter((e) => e.type === 'agent.thread_message_received').length;
    this.incoming += messages;
    let logged: SessionEvent[];
    try {
      logged = await this.base.append([...this.hooks.before(this.thread, own), ...own]);
    } finally {
      this.incoming -= messages;
    }
    this.hooks.after(this.thread, logged);
    return logged.flatMap((e) => {
      const shown = this.show(e);
      return shown ? [shown] : [];
    });
  }

  private toLog(e: NewEvent): NewEvent[] {
    const t = this.thread;
    const ref = { session_thread_id: t.id, agent_name: t.agentName };
    let out: NewEvent;
    switch (e.type) {
      case 'session.status_running':
        out = { ...e, type: 'session.thread_status_running', ...ref };
        break;
      case 'session.status_idle':
        // A message from another thread can land between the driver deciding its turn is over and this write; an
        // idle after it would count it as answered. Dropped, the driver's next step sees the message and goes on.
        if (e.stop_reason.type === 'end_turn' && (this.incoming > 0 || this.unseenMessage())) return [];
        out = { ...e, type: 'session.thread_status_idle', ...ref };
        break;
      case 'session.status_terminated':
        out = { ...e, type: 'session.thread_status_terminated', ...ref };
        break;
      // A thread retrying its model request shows the session.error (retrying); the wire has no thread-level
      // rescheduled status, and the session stays running meanwhile.
      case 'session.status_rescheduled':
        return [];
      default:
        // Routing is by tool use id; the echo names the thread it reached (a client's own value is not kept). A user's
        // message to a sub-agent names its thread too; one to the coordinator names none.
        if (e.type === 'user.message') {
          const { session_thread_id: _own, ...message } = e;
          out = t.primary ? message : { ...message, session_thread_id: t.id };
        } else out = CROSS_POSTED.has(e.type) ? ({ ...e, session_thread_id: t.primary ? null : t.id } as NewEvent) : e;
    }
    if (t.primary) return [out];
    const model = out.type === 'span.model_request_end' ? { model: t.model } : {};
    return [{ ...out, _hangar: { ...out._hangar, thread: t.id, ...model } } as NewEvent];
  }

  /** A message to this thread logged after its last model request started, with no interrupt after it. */
  private unseenMessage(): boolean {
    const events = this.base.events();
    for (let i = events.length - 1; i >= 0; i--) {
      const e = events[i]!;
      if (!this.owns(e)) continue;
      if (e.type === 'span.model_request_start' || e.type === 'user.interrupt') return false;
      if (e.type === 'agent.thread_message_received') return true;
    }
    return false;
  }

  private asSession(e: SessionEvent): SessionEvent | null {
    const base = { id: e.id, processed_at: e.processed_at, ...(e._hangar ? { _hangar: e._hangar } : {}) };
    switch (e.type) {
      case 'session.thread_status_running':
        return e.session_thread_id === this.thread.id ? { ...base, type: 'session.status_running' } : null;
      case 'session.thread_status_idle':
        return e.session_thread_id === this.thread.id ? { ...base, type: 'session.status_idle', stop_reason: e.stop_reason, stop_details: e.stop_details } : null;
      case 'session.thread_status_terminated':
        return e.session_thread_id === this.thread.id ? { ...base, type: 'session.status_terminated' } : null;
      // The session's own status is the aggregate of all threads: no thread acts on it (termination aside, above).
      case 'session.status_running':
      case 'session.status_idle':
      case 'session.status_rescheduled':
        return null;
      case 'agent.thread_message_received': {
        const from = e.from_agent_name ? `agent "${e.from_agent_name}"` : 'another agent';
        const header = this.thread.primary ? `Message from ${from} (thread ${e.from_session_thread_id}):` : `Message from the coordinator, ${from}:`;
        return { ...base, type: 'user.message', content: [{ type: 'text', text: header }, ...e.content] };
      }
      default:
        return e;
    }
  }
}
