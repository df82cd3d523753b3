import { emptySummary, foldSummary, type PricingOf, type SessionEvent, type StopReason } from '../../wire';

// The sub-agent threads of a session, folded from its `session.thread_*` events and each sub-thread's model requests
// (ARCHITECTURE.md invariant 1: the tree is a fold over the log). The coordinator's own thread logs its status as
// thread events too, with no `_hangar.thread` tag and no session.thread_created: it is the session, not a thread node.
// Plain TypeScript (no vscode): unit-tested with synthetic events.

export const THREAD_EVENT_TYPES = ['session.thread_created', 'session.thread_status_running', 'session.thread_status_idle', 'session.thread_status_terminated'] as const;
/** What the tree lists of a session's log: the thread events, and the model requests that make each thread's cost. */
export const THREAD_FOLD_TYPES = [...THREAD_EVENT_TYPES, 'span.model_request_end'] as const;
type ThreadEvent = Extract<SessionEvent, { type: (typeof THREAD_EVENT_TYPES)[number] }>;

/** `starting`: created, not yet reported running. */
export type ThreadStatus = 'starting' | 'running' | 'idle' | 'terminated';

export interface ThreadView {
  id: string;
  agentName: string;
  status: ThreadStatus;
  /** Why it went idle last (null while it has not). */
  stopReason: StopReason | null;
  workflowRunId: string | null;
  createdAt: string;
  updatedAt: string;
  /** List cost of the thread's model requests, each priced with the model that made it. */
  costCents: number;
  /** Some request was priced without a list price for its model: the cost is an estimate. */
  costEstimated: boolean;
}

const THREAD_TYPES: ReadonlySet<string> = new Set(THREAD_EVENT_TYPES);

export function isThreadEvent(e: SessionEvent): e is ThreadEvent {
  return THREAD_TYPES.has(e.type);
}

export class ThreadFold {
  private readonly threads = new Map<string, ThreadView>();
  // The tree feeds both a listing and the live tail, which overlap; an event is folded once.
  private readonly seen = new Set<string>();

  /** `pricing`: each model request's pricing (a sub-thread's span end names its model); none: costs stay 0. */
  constructor(private readonly pricing?: PricingOf) {}

  /** Folds one event; true when a thread changed. */
  apply(e: SessionEvent): boolean {
    if (e.type === 'span.model_request_end') return this.cost(e);
    if (!isThreadEvent(e)) return false;
    if (e.id) {
      if (this.seen.has(e.id)) return false;
      this.seen.add(e.id);
    }
    const at = e.processed_at ?? '';
    const known = this.threads.get(e.session_thread_id);
    // Untagged status of a thread never created here is the coordinator's own. A tagged one is a sub-thread's whose
    // creation came before the fold started: it still names the thread and agent.
    if (!known && e.type !== 'session.thread_created' && !e._hangar?.thread) return false;
    const thread: ThreadView = known ?? { id: e.session_thread_id, agentName: e.agent_name, status: 'starting', stopReason: null, workflowRunId: null, createdAt: at, updatedAt: at, costCents: 0, costEstimated: false };
    thread.agentName = e.agent_name || thread.agentName;
    thread.updatedAt = at || thread.updatedAt;
    switch (e.type) {
      case 'session.thread_created':
        thread.workflowRunId = e.workflow_run_id;
        thread.createdAt = at || thread.createdAt;
        break;
      case 'session.thread_status_running':
        if (thread.status !== 'terminated') thread.status = 'running';
        break;
      case 'session.thread_status_idle':
        if (thread.status !== 'terminated') thread.status = 'idle';
        thread.stopReason = e.stop_reason;
        break;
      case 'session.thread_status_terminated':
        thread.status = 'terminated';
        break;
    }
    this.threads.set(thread.id, thread);
    return true;
  }

  private cost(e: Extract<SessionEvent, { type: 'span.model_request_end' }>): boolean {
    const thread = this.threads.get(e._hangar?.thread ?? '');
    if (!thread || !this.pricing || (e.id && this.seen.has(e.id))) return false;
    if (e.id) this.seen.add(e.id);
    const priced = foldSummary(emptySummary(), e, this.pricing);
    thread.costCents += priced.costCents;
    thread.costEstimated ||= priced.costEstimated;
    return true;
  }

  /** The threads in the order they appeared. */
  list(): ThreadView[] {
    return [...this.threads.values()].map((t) => ({ ...t }));
  }

  get(id: string): ThreadView | undefined {
    const t = this.threads.get(id);
    return t ? { ...t } : undefined;
  }
}
