import { threadOf } from '../harness/threads/view';
import type { SessionEvent } from '../wire';
import { formatCost } from '../format/cost';
import type { ThreadCost } from './thread-costs';
import { IDLE_WORDS, renderEvent, type Paint } from './render';

// The terminal's view of a multi-agent session (one log holds every thread): sub-agents starting and finishing get
// lines of their own with their names, the coordinator's messages to and from them are shown as such, and whatever a
// sub-thread does is prefixed with its agent's name, so interleaved threads stay readable. A single-agent session
// prints exactly as renderEvent alone would.

const FIRST_LINE_MAX = 100;

export class ThreadLines {
  /** Agent name per sub-thread id, learnt from session.thread_created (which precedes everything the thread does). */
  private readonly names = new Map<string, string>();

  constructor(
    private readonly p: Paint,
    private readonly sessionId: string,
    /** The threads started before the first event shown (a later turn's follower does not see their creation). */
    known: readonly { id: string; agent: { name: string } }[] = [],
    /** One thread is printed (events --thread): no name prefixes, and a sub-thread's task shows as the message it got. */
    private readonly opts: { single?: boolean } = {},
  ) {
    for (const t of known) this.names.set(t.id, t.agent.name);
  }

  /** The sub-agent an event belongs to; null for the coordinator's (or a single agent's). */
  agentOf(e: SessionEvent): string | null {
    const thread = threadOf(e);
    return thread === null ? null : (this.names.get(thread) ?? thread);
  }

  render(e: SessionEvent): string | null {
    if (e.type === 'session.thread_created') {
      this.names.set(e.session_thread_id, e.agent_name);
      return this.p('blue', `▶ sub-agent ${e.agent_name} started (${e.session_thread_id})`);
    }
    const name = this.agentOf(e);
    if (name === null) return this.coordinator(e);
    switch (e.type) {
      case 'session.thread_status_idle':
        return this.p(e.stop_reason.type === 'end_turn' ? 'blue' : 'yellow', `■ sub-agent ${name} ${IDLE_WORDS[e.stop_reason.type]}`);
      case 'session.thread_status_terminated':
        return this.p('yellow', `■ sub-agent ${name} archived`);
      // The coordinator's delegation already shows the task; the sub-thread's copy of it would repeat it.
      case 'agent.thread_message_received':
        return this.opts.single ? this.coordinator(e) : null;
      default: {
        const line = renderEvent(e, this.p, this.sessionId);
        return line === null || this.opts.single ? line : prefixed(this.p('blue', `[${name}]`), line);
      }
    }
  }

  private coordinator(e: SessionEvent): string | null {
    switch (e.type) {
      case 'agent.thread_message_sent':
        return this.p('blue', `→ to ${e.to_agent_name ?? this.names.get(e.to_session_thread_id) ?? e.to_session_thread_id}: ${firstLine(e.content)}`);
      case 'agent.thread_message_received':
        return this.p('blue', `← from ${e.from_agent_name ?? this.names.get(e.from_session_thread_id) ?? e.from_session_thread_id}: ${firstLine(e.content)}`);
      default:
        return renderEvent(e, this.p, this.sessionId);
    }
  }
}

/** Every line of a (possibly folded, multi-line) event line gets the thread's prefix. */
function prefixed(prefix: string, line: string): string {
  return line
    .split('\n')
    .map((l) => `${prefix} ${l}`)
    .join('\n');
}

function firstLine(content: readonly { type: string; text?: string }[]): string {
  const text = content.map((b) => (b.type === 'text' ? (b.text ?? '') : `[${b.type}]`)).join(' ');
  const line = text.split('\n')[0] ?? '';
  return line.length > FIRST_LINE_MAX ? `${line.slice(0, FIRST_LINE_MAX - 1)}…` : line;
}

/** One line per thread, aligned: agent, id, status (archived threads say so), cost. */
export function threadTable(threads: readonly ThreadCost[]): string[] {
  const width = Math.max(...threads.map(({ thread: t }) => t.agent.name.length + (t.parent_thread_id === null ? 10 : 0)));
  return threads.map(({ thread: t, costCents, costEstimated }) => {
    const name = `${t.agent.name}${t.parent_thread_id === null ? ' (primary)' : ''}`;
    return `${name.padEnd(width)}  ${t.id}  ${(t.archived_at ? 'archived' : t.status).padEnd(10)}  ${formatCost(costCents, costEstimated)}`;
  });
}
