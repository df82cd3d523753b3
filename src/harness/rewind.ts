import type { SessionEvent } from '../wire';

// A rewind (hangar.rewind) takes the conversation back to a checkpoint without deleting anything from the log: the
// model's context is the conversation as it stood at that checkpoint, then whatever came after the rewind. Rewinds
// nest: a checkpoint taken after one rewind stands for the conversation as it was then, so rewinding to it later
// brings back exactly that. Like the compaction cut, this is derived from the log alone, so the same log always
// yields the same request.

/** An immutable list, newest first: each checkpoint keeps the conversation it ends without copying it. */
interface Node {
  event: SessionEvent;
  prev: Node | null;
}

export const REWOUND_RESULT = 'Not run: the user rewound the session to before this call finished.';

/** The events the model's context is built from: the log with every rewind applied (the log itself when it has none). */
export function conversationEvents(events: readonly SessionEvent[]): readonly SessionEvent[] {
  if (!events.some((e) => e.type === 'hangar.rewind')) return events;
  let kept: Node | null = null;
  const checkpoints = new Map<string, Node>();
  for (const event of events) {
    if (event.type === 'hangar.rewind') {
      // The runtime refuses a rewind to a checkpoint the log does not hold; a log that has one anyway keeps going.
      const point = checkpoints.get(event.checkpoint_id);
      if (point) kept = answerOpenCalls(point);
      continue;
    }
    kept = { event, prev: kept };
    if (event.type === 'hangar.checkpoint') checkpoints.set(event.checkpoint_id, kept);
  }
  const out: SessionEvent[] = [];
  for (let n = kept; n; n = n.prev) out.push(n.event);
  return out.reverse();
}

/**
 * A checkpoint taken between two calls of one reply (or while calls waited for the user) leaves calls without a
 * result, which the API refuses: each gets one saying it did not run. Only the last reply can have such calls.
 */
function answerOpenCalls(point: Node): Node {
  const answered = new Set<string>();
  const open: string[] = [];
  for (let n: Node | null = point; n; n = n.prev) {
    const e = n.event;
    if (e.type === 'span.model_request_start' && !e._hangar?.purpose) break;
    if (e.type === 'agent.tool_result') answered.add(e.tool_use_id);
    else if (e.type === 'agent.mcp_tool_result') answered.add(e.mcp_tool_use_id);
    else if (e.type === 'user.custom_tool_result') answered.add(e.custom_tool_use_id);
    else if ((e.type === 'agent.tool_use' || e.type === 'agent.mcp_tool_use' || e.type === 'agent.custom_tool_use') && !e._hangar?.server_tool && !answered.has(e.id)) open.push(e.id);
  }
  let node = point;
  // The context pairs a result with its call by id alone, whichever kind of call it answers.
  for (const id of open.reverse()) {
    node = { event: { type: 'agent.tool_result', id: `${id}.rewound`, processed_at: null, tool_use_id: id, content: [{ type: 'text', text: REWOUND_RESULT }], is_error: true }, prev: node };
  }
  return node;
}
