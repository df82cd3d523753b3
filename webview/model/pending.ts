import type { SessionEvent } from '../../src/wire';
import { PRIMARY } from './items';
import { assertNever } from '../../src/wire/exhaustive';

// Which tool calls wait for the user: the ids named by the latest requires_action idle of the session or of a
// thread, minus those the user already answered. A thread (or the session) going running or idling for another
// reason clears its set, so a stale prompt never lingers.
export class PendingActions {
  private readonly waiting = new Map<string, Set<string>>();
  private readonly answered = new Set<string>();
  /** Answered here but not yet in the log: taken back when the host refuses the answer. */
  private readonly answeredLocally = new Set<string>();

  apply(e: SessionEvent): void {
    switch (e.type) {
      case 'session.status_idle':
        this.setLane(PRIMARY, e.stop_reason.type === 'requires_action' ? e.stop_reason.event_ids : []);
        break;
      case 'session.thread_status_idle':
        this.setLane(e.session_thread_id, e.stop_reason.type === 'requires_action' ? e.stop_reason.event_ids : []);
        break;
      case 'session.status_running':
        this.setLane(PRIMARY, []);
        break;
      case 'session.thread_status_running':
      case 'session.thread_status_terminated':
        this.setLane(e.session_thread_id, []);
        break;
      case 'session.status_terminated':
      case 'session.deleted':
        this.waiting.clear();
        break;
      case 'user.tool_confirmation':
        this.answered.add(e.tool_use_id);
        break;
      case 'user.custom_tool_result':
        this.answered.add(e.custom_tool_use_id);
        break;
      // Nothing to do for these; a new event type must be added here or handled above.
      case 'user.message':
      case 'user.interrupt':
      case 'agent.message':
      case 'agent.thinking':
      case 'agent.tool_use':
      case 'agent.tool_result':
      case 'agent.mcp_tool_use':
      case 'agent.mcp_tool_result':
      case 'agent.custom_tool_use':
      case 'agent.thread_context_compacted':
      case 'agent.thread_message_sent':
      case 'agent.thread_message_received':
      case 'session.status_rescheduled':
      case 'session.error':
      case 'session.updated':
      case 'session.thread_created':
      case 'span.model_request_start':
      case 'span.model_request_end':
      case 'user.define_outcome':
      case 'span.outcome_evaluation_start':
      case 'span.outcome_evaluation_ongoing':
      case 'span.outcome_evaluation_end':
      case 'hangar.checkpoint':
      case 'hangar.rewind':
        break;
      default:
        assertNever(e, 'event');
    }
  }

  /** Ids still waiting for an answer, oldest request first. */
  ids(): string[] {
    const out: string[] = [];
    for (const set of this.waiting.values()) for (const id of set) if (!this.answered.has(id) && !this.answeredLocally.has(id) && !out.includes(id)) out.push(id);
    return out;
  }

  /** Called when the user answered locally, before the echo arrives, so a double click cannot answer twice. */
  markAnswered(id: string): void {
    this.answeredLocally.add(id);
  }

  /** The host refused the local answer: the question waits again (unless the log has an answer meanwhile). */
  unmarkAnswered(id: string): void {
    this.answeredLocally.delete(id);
  }

  private setLane(lane: string, ids: readonly string[]): void {
    if (ids.length) this.waiting.set(lane, new Set(ids));
    else this.waiting.delete(lane);
  }
}
