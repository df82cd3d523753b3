import type { NewEvent, SessionEvent, StopReason } from '../../wire';
import { heldForBudget, isQuiet, type Thread } from './thread';

// The session's own status in a multi-agent session, derived from its threads': running while any thread has work,
// idle when none has (requires_action when some thread waits for the user, budget_reached when one is held for the
// budget, else what stopped the coordinator). It goes running in the same write as the first thread that does.

export class SessionStatus {
  status: 'idle' | 'running' | 'rescheduling' | 'terminated' = 'idle';
  private lastIdle: StopReason | null = null;

  /** Folds a session-level status event; false for any other event (those are a thread's). */
  observe(e: SessionEvent): boolean {
    switch (e.type) {
      case 'session.status_running':
        this.status = 'running';
        return true;
      case 'session.status_rescheduled':
        this.status = 'rescheduling';
        return true;
      case 'session.status_idle':
        this.status = 'idle';
        this.lastIdle = e.stop_reason;
        return true;
      case 'session.status_terminated':
        this.status = 'terminated';
        return true;
      default:
        return false;
    }
  }

  /** The session.status_running to log with a thread's events when the first thread starts running. */
  before(events: readonly NewEvent[]): NewEvent[] {
    const starts = events.some((e) => e.type === 'session.thread_status_running');
    if (!starts || this.status === 'running' || this.status === 'terminated') return [];
    this.status = 'running';
    return [{ type: 'session.status_running' }];
  }

  /** The session.status_idle to log now that the threads are as they are, or null (work left, or already said). */
  idleNow(threads: readonly Thread[], primary: Thread): NewEvent | null {
    if (this.status === 'terminated') return null;
    if (threads.some((t) => t.answering || !isQuiet(t))) return null;
    if (this.status === 'idle' && this.lastIdle?.type !== 'requires_action' && !threads.some((t) => t.state.blocked().length > 0)) return null;
    const waiting = threads.flatMap((t) => (t.state.status === 'terminated' ? [] : t.state.blocked().map((p) => p.id)));
    // What the user must do first: answer a waiting call, then raise a spent budget.
    const held = threads.some(heldForBudget);
    const reason: StopReason = waiting.length > 0 ? { type: 'requires_action', event_ids: waiting } : held ? { type: 'budget_reached' } : (primary.state.lastStopReason ?? { type: 'end_turn' });
    if (this.status === 'idle' && JSON.stringify(this.lastIdle) === JSON.stringify(reason)) return null;
    return { type: 'session.status_idle', stop_reason: reason };
  }
}
