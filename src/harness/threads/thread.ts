import type { SessionAgent } from '../../wire';
import type { SessionDriver } from '../driver';
import type { HarnessState } from '../state';
import type { ToolRouter } from '../tools';
import type { ThreadInfo, ThreadView } from './view';

// One thread of a multi-agent session as the supervisor holds it, and what its fold says about it: whether it has
// work left, in the supervisor's words and the coordinator's.

export interface Thread {
  info: ThreadInfo;
  view: ThreadView;
  agent: SessionAgent;
  /** The supervisor's own fold of the thread (the driver keeps its own; both come from the same events). */
  state: HarnessState;
  driver: SessionDriver | null;
  tools: ToolRouter | null;
  /** An answer to post once the thread's turn ended: until then the session cannot be idle. */
  answering: boolean;
}

/** The thread stopped before a model request because the session's budget is spent; it goes on when it is raised. */
export function heldForBudget(t: Thread): boolean {
  return t.state.status === 'idle' && t.state.needsModel && t.state.lastStopReason?.type === 'budget_reached';
}

/** The thread has nothing to do by itself: ended, held for the budget, or idle with only calls waiting for the user. */
export function isQuiet(t: Thread): boolean {
  const s = t.state;
  if (s.status === 'terminated' || heldForBudget(t)) return true;
  if (s.status !== 'idle' || s.needsModel) return false;
  const blocked = new Set(s.blocked().map((p) => p.id));
  return [...s.pending.values()].every((p) => blocked.has(p.id));
}

/** The thread's state as list_agents tells the coordinator. */
export function describeThread(t: Thread): string {
  const s = t.state;
  if (s.status === 'terminated') return 'archived';
  if (!isQuiet(t)) return 'working';
  return s.blocked().length > 0 ? 'waiting for the user' : 'finished its turn';
}
