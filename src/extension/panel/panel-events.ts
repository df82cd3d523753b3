import { publicEvent, type SessionEvent } from '../../wire';
import type { ErrorDetails, EventThreads, ThinkingTexts } from '../../protocol/panel';

// What the panel gets of log records: the events as the API shows them (the private part stays in the host: it holds
// signatures, redacted thinking and compaction summaries the webview has no use for), plus the summarised thinking
// text of `agent.thinking` events, which VS Code shows folded, and how the model request behind a `session.error`
// failed (its error card says what to do and counts down to the retry), and the sub-agent thread of each event of a
// multi-agent session (its tab). Plain TypeScript (no vscode): unit-tested in Node.

export function panelEvents(records: readonly SessionEvent[]): { events: SessionEvent[]; thinking?: ThinkingTexts; errors?: ErrorDetails; eventThreads?: EventThreads } {
  const thinking: ThinkingTexts = {};
  const errors: ErrorDetails = {};
  const eventThreads: EventThreads = {};
  for (const e of records) {
    if (e._hangar?.thread) eventThreads[e.id] = e._hangar.thread;
    if (e.type === 'session.error' && e._hangar?.model_error) errors[e.id] = e._hangar.model_error;
    if (e.type !== 'agent.thinking') continue;
    const text = thinkingText(e);
    if (text) thinking[e.id] = text;
  }
  const events = records.map((e) => publicEvent(e) as SessionEvent);
  const any = (o: object) => Object.keys(o).length > 0;
  return { events, ...(any(thinking) ? { thinking } : {}), ...(any(errors) ? { errors } : {}), ...(any(eventThreads) ? { eventThreads } : {}) };
}

/** The text of the event's thinking blocks (redacted thinking has none), in order. */
function thinkingText(e: SessionEvent): string {
  const texts: string[] = [];
  for (const b of e._hangar?.blocks ?? []) if (b.type === 'thinking' && typeof b.thinking === 'string' && b.thinking.length > 0) texts.push(b.thinking);
  return texts.join('\n\n');
}
