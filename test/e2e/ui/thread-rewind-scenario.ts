import { agentOf, reply, type MessageReply, type RecordedRequest } from '../../../src/model/scripted';

// The multi-agent rewind suite's model (thread-rewind.test.ts), routed by the agent each request's system prompt names.
// Round one: the coordinator has the writer draft PART.md, then writes PLAN.md itself from the writer's answer. Round
// two (the user asks for more): the coordinator sends the writer a follow-up in the same thread, the writer redrafts
// PART.md, the coordinator rewrites PLAN.md. After the user rewinds to the coordinator's round-one write and says to go
// on, the coordinator answers from what its context holds. Requests of the other suites are not this scenario's (null).

export const THREAD_REWIND_AGENTS = { lead: 'ui-rw-lead', writer: 'ui-rw-writer' } as const;
export const THREAD_REWIND_TITLE = 'Plan with a writer, then rewind';
export const THREAD_REWIND_TASK = 'Plan it with the writer';
export const MORE_ROUND = 'Now a longer second round';
export const GO_ON_ROUND = 'Go on from the first plan';
export const LEAD_FIRST = 'The first plan is written.';
export const LEAD_SECOND = 'The second plan is written.';
export const LEAD_CONTINUED = 'Continuing from the first plan only.';
export const WRITER_FIRST = 'Drafted PART.md.';
export const WRITER_SECOND = 'Redrafted PART.md.';
export const PART_ONE = 'part one\n';
export const PART_TWO = 'part two\nwith more\nlines\n';
const PLAN_ONE = 'plan one\n';
const PLAN_TWO = 'plan two\nwith more\nlines\n';
const REDRAFT = 'Redraft PART.md, longer.';

const writes = (conversation: string) => (conversation.match(/"name":"write"/g) ?? []).length;

export function threadRewindReply(req: RecordedRequest): MessageReply | null {
  const agent = agentOf(req);
  const all = JSON.stringify(req.body.messages);
  if (agent === THREAD_REWIND_AGENTS.lead && all.includes(THREAD_REWIND_TASK)) return lead(all);
  if (agent === THREAD_REWIND_AGENTS.writer) return writer(all);
  return null;
}

function lead(all: string): MessageReply {
  if (all.includes(GO_ON_ROUND)) return reply.text(all.includes(MORE_ROUND) || all.includes(WRITER_SECOND) ? 'The context still holds the second round.' : LEAD_CONTINUED);
  if (!all.includes('send_to_agent')) return reply.tool('send_to_agent', { agent: THREAD_REWIND_AGENTS.writer, message: 'Draft PART.md.' });
  if (!all.includes(WRITER_FIRST)) return reply.text('Waiting for the writer.');
  if (writes(all) === 0) return reply.tool('write', { file_path: 'PLAN.md', content: PLAN_ONE });
  if (!all.includes(MORE_ROUND)) return reply.text(LEAD_FIRST);
  if (!all.includes(REDRAFT)) {
    const thread = /Started thread (sthr_\w+)/.exec(all)?.[1] ?? 'no thread';
    return reply.tool('send_to_agent', { session_thread_id: thread, message: REDRAFT });
  }
  if (!all.includes(WRITER_SECOND)) return reply.text('Waiting for the writer.');
  if (writes(all) === 1) return reply.tool('write', { file_path: 'PLAN.md', content: PLAN_TWO });
  return reply.text(LEAD_SECOND);
}

function writer(all: string): MessageReply {
  const second = all.includes(REDRAFT);
  if (writes(all) < (second ? 2 : 1)) return reply.tool('write', { file_path: 'PART.md', content: second ? PART_TWO : PART_ONE });
  return reply.text(second ? WRITER_SECOND : WRITER_FIRST);
}
