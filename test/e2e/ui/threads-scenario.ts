import { agentOf, type MessageReply, type RecordedRequest } from '../../../src/model/scripted';

// What the scripted model does for the multi-agent UI suite (threads.test.ts), routed by the agent each request's
// system prompt names: the coordinator delegates to a writer and a reviewer in one reply; the writer writes a file;
// the reviewer's always_ask bash call waits for the user in its sub-thread; once both answered, the coordinator sums up.

export const THREAD_AGENTS = { lead: 'ui-lead', writer: 'ui-writer', reviewer: 'ui-reviewer' } as const;
export const THREADS_TITLE = 'Split the work across sub-agents';
export const WRITER_DONE = 'Wrote NOTES.md.';
export const REVIEWER_DONE = 'Checked the working tree.';
export const LEAD_DONE = 'Both sub-agents are done.';
export const REVIEW_COMMAND = 'git status --short';

const text = (t: string): MessageReply => ({ kind: 'message', blocks: [{ type: 'text', text: t }] });
const toolResults = (req: RecordedRequest) => req.body.messages.filter((m) => m.role === 'user' && typeof m.content !== 'string' && m.content.some((b) => b.type === 'tool_result')).length;

/** The reply for a request of one of the suite's agents; null for every other request (the other suites' model). */
export function threadsReply(req: RecordedRequest): MessageReply | null {
  const agent = agentOf(req);
  const conversation = JSON.stringify(req.body.messages);
  switch (agent) {
    case THREAD_AGENTS.lead:
      if (!conversation.includes('send_to_agent')) {
        return {
          kind: 'message',
          blocks: [
            { type: 'text', text: 'Two jobs: the writer writes the notes while the reviewer checks the tree.' },
            { type: 'tool_use', name: 'send_to_agent', input: { agent: THREAD_AGENTS.writer, message: 'Write NOTES.md with one line about this repository.' } },
            { type: 'tool_use', name: 'send_to_agent', input: { agent: THREAD_AGENTS.reviewer, message: `Run ${REVIEW_COMMAND} and report.` } },
          ],
        };
      }
      return text(conversation.includes(WRITER_DONE) && conversation.includes(REVIEWER_DONE) ? LEAD_DONE : 'Waiting for the sub-agents.');
    case THREAD_AGENTS.writer:
      return toolResults(req) === 0
        ? { kind: 'message', blocks: [{ type: 'text', text: 'Writing the notes.' }, { type: 'tool_use', name: 'write', input: { file_path: 'NOTES.md', content: '# Notes\n\nA small math library.\n' } }], delay_ms: 1000 }
        : text(WRITER_DONE);
    case THREAD_AGENTS.reviewer:
      return toolResults(req) === 0
        ? { kind: 'message', blocks: [{ type: 'text', text: 'Checking what changed.' }, { type: 'tool_use', name: 'bash', input: { command: REVIEW_COMMAND } }] }
        : text(REVIEWER_DONE);
    default:
      return null;
  }
}
