import { publicEvent, type SessionEvent } from '../../wire';
import type { ThinkingTexts } from '../../protocol/panel';

// What the panel gets of log records: the events as the API shows them (the private part stays in the host: it holds
// signatures, redacted thinking and compaction summaries the webview has no use for), plus the summarised thinking
// text of `agent.thinking` events, which VS Code shows folded. Plain TypeScript (no vscode): unit-tested in Node.

export function panelEvents(records: readonly SessionEvent[]): { events: SessionEvent[]; thinking?: ThinkingTexts } {
  const thinking: ThinkingTexts = {};
  for (const e of records) {
    if (e.type !== 'agent.thinking') continue;
    const text = thinkingText(e);
    if (text) thinking[e.id] = text;
  }
  const events = records.map((e) => publicEvent(e) as SessionEvent);
  return Object.keys(thinking).length > 0 ? { events, thinking } : { events };
}

/** The text of the event's thinking blocks (redacted thinking has none), in order. */
function thinkingText(e: SessionEvent): string {
  const texts: string[] = [];
  for (const b of e._hangar?.blocks ?? []) if (b.type === 'thinking' && typeof b.thinking === 'string' && b.thinking.length > 0) texts.push(b.thinking);
  return texts.join('\n\n');
}
