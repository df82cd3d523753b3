import type { SessionEvent } from '../wire';
import type { FileChange } from '../sandbox/types';

// The commit message a branch hand-off proposes, drafted from what the session already holds: the user's first
// message (the task) is the subject, the agent's last message (its own account of what it did) the body, and the
// session id a trailer. No model request: a draft the user edits anyway should cost nothing and look the same every
// time it is proposed.

const SUBJECT_MAX = 72;
const BODY_MAX = 4000;

export function draftCommitMessage(sessionId: string, events: readonly SessionEvent[], files: readonly FileChange[]): string {
  const task = textOf(events.find((e) => e.type === 'user.message' && !e.session_thread_id));
  const summary = textOf(events.findLast((e) => e.type === 'agent.message'));
  const subject = oneLine(task) || `Changes by Hangar session ${sessionId} (${files.length} file${files.length === 1 ? '' : 's'})`;
  const parts = [clip(subject, SUBJECT_MAX)];
  if (summary.trim()) parts.push(clip(summary.trim(), BODY_MAX));
  parts.push(`Hangar-Session: ${sessionId}`);
  return parts.join('\n\n');
}

/** The subject alone (the first line), for an input box that edits one line. */
export function subjectOf(message: string): string {
  return message.split('\n', 1)[0] ?? '';
}

/** The message with its subject replaced, the body kept. */
export function withSubject(message: string, subject: string): string {
  const rest = message.split('\n').slice(1).join('\n');
  return rest ? `${subject.trim()}\n${rest}` : subject.trim();
}

function textOf(e: SessionEvent | undefined): string {
  if (!e || (e.type !== 'user.message' && e.type !== 'agent.message')) return '';
  return e.content.flatMap((b) => (b.type === 'text' ? [b.text] : [])).join('\n');
}

function oneLine(text: string): string {
  return (text.split('\n').find((l) => l.trim() !== '') ?? '').trim();
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1).trimEnd()}…`;
}
