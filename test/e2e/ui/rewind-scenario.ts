import { reply, type MessageReply, type RecordedRequest } from '../../../src/model/scripted';

// The rewind suite's model (rewind.test.ts), decided from each request: the task's first draft of NOTES.md (one line),
// then, asked for more, a second draft (three lines). After the user rewinds to the first draft's write and says to
// go on, it answers from what its context holds: the conversation up to that write, nothing of the second draft.
// Requests of the other suites are not this scenario's (null).

export const REWIND_TASK = 'Draft NOTES.md';
export const MORE = 'Make it a longer second draft';
export const GO_ON = 'Go on from the first draft';
export const FIRST_DONE = 'Wrote the first draft.';
export const SECOND_DONE = 'Wrote the second draft.';
export const CONTINUED = 'Continuing from the first draft only.';
export const FIRST_DRAFT = 'first draft\n';
export const SECOND_DRAFT = 'second draft\nwith more\nlines\n';

export function rewindReply(req: RecordedRequest): MessageReply | null {
  const all = JSON.stringify(req.body.messages);
  if (!all.includes(REWIND_TASK)) return null;
  if (all.includes(GO_ON)) return reply.text(all.includes(MORE) || all.includes('with more') ? 'The context still holds the second draft.' : CONTINUED);
  const writes = (all.match(/"name":"write"/g) ?? []).length;
  if (writes === 0) return reply.tool('write', { file_path: 'NOTES.md', content: FIRST_DRAFT });
  if (!all.includes(MORE)) return reply.text(FIRST_DONE);
  if (writes === 1) return reply.tool('write', { file_path: 'NOTES.md', content: SECOND_DRAFT });
  return reply.text(SECOND_DONE);
}
