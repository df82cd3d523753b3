import path from 'node:path';
import type { SessionEvent } from '../wire';
import { EVENTS_FILE } from '../log';
import { readRecordChunks } from '../log/record-stream';

// A session's events as JSON lines, as the events list shows them (withProcessedAt), streamed from its log file: no
// fold and no copy of the log in memory, and an event's JSON printed as stored unless the list's view changes it.
// Only a queued user.message changes (it gets the start of the first model request after it), so the lines after one
// are held until that request shows up, or the log ends.

const QUEUED = '"processed_at":null';
const REQUEST_START = '"span.model_request_start"';

/** Chunks of newline-terminated JSON lines, one per event, in log order. */
export async function* eventJsonLines(sessionDir: string): AsyncGenerator<string> {
  /** Lines held behind queued messages (a string is ready; an event waits for its processed_at). */
  let held: (string | SessionEvent)[] = [];
  const release = (processedAt: string | null) => {
    const text = held.map((h) => (typeof h === 'string' ? h : `${JSON.stringify(processedAt === null ? h : { ...h, processed_at: processedAt })}\n`)).join('');
    held = [];
    return text;
  };
  for await (const records of readRecordChunks(path.join(sessionDir, EVENTS_FILE))) {
    let text = '';
    for (const { json } of records) {
      // Cheap text tests first: most events are neither queued nor a request start, and are never parsed.
      if (held.length > 0 && json.includes(REQUEST_START)) {
        const start = JSON.parse(json) as SessionEvent;
        if (start.type === 'span.model_request_start' && start._hangar?.purpose === undefined) text += release(start.processed_at);
      }
      const queued = json.includes(QUEUED) ? (JSON.parse(json) as SessionEvent) : null;
      if (queued?.type === 'user.message' && queued.processed_at === null) held.push(queued);
      else if (held.length > 0) held.push(`${json}\n`);
      else text += `${json}\n`;
    }
    if (text) yield text;
  }
  if (held.length > 0) yield release(null);
}
