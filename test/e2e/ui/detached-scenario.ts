import { reply, type MessageReply, type RecordedRequest } from '../../../src/model/scripted';

// The detached-runtime suite's model (detached.test.ts), answering the `hangar serve` the suite starts: the agent
// writes a notes file, then its closing answer is held until the suite has closed the window, so the turn is still
// running when the window goes away and ends while no window is open. Requests of the other suites are not this
// scenario's (null).

export const AWAY_TASK = 'Write the release notes while I am away';
export const AWAY_FILE = 'notes/away.md';
export const AWAY_NOTES = '# Release notes\n\nWritten by the detached runtime.\n';
export const AWAY_WRITING = 'Writing the release notes now.';
export const AWAY_DONE = 'Finished while the window was closed: the notes are in notes/away.md.';

let letFinish: () => void = () => undefined;
const mayFinish = new Promise<void>((resolve) => (letFinish = resolve));
/** The suite calls this once the window is closed: only then does the model give the turn's closing answer. */
export function windowClosed(): void {
  letFinish();
}

export function awayReply(req: RecordedRequest): MessageReply | Promise<MessageReply> | null {
  const conversation = JSON.stringify(req.body.messages);
  if (!conversation.includes(AWAY_TASK)) return null;
  if (!conversation.includes('"tool_use"')) return reply.tool('write', { file_path: AWAY_FILE, content: AWAY_NOTES }, AWAY_WRITING);
  return mayFinish.then(() => reply.text(AWAY_DONE));
}
