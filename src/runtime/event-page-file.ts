import type { SessionEvent } from '../wire';
import type { ListOptions, Page } from '../log';
import { eventPage } from '../log/event-query';
import { readLogWindow, type LogWindow } from '../log/log-window';
import { withProcessedAt } from './processed-at';

// The first page of a session's events read from the end of its log file that the page is at (the start for
// order=asc, the end for desc), for a session whose log this process does not hold: the page costs about its own
// bytes, not the history. The window grows (×4) until the page, the look-ahead for next_page and the processed_at of
// its queued messages all fall inside it, or it is the whole file; the page is then the one the whole log gives.

/** Bytes first read per event asked for: events are a few hundred bytes; a bigger first read beats a second one. */
const BYTES_PER_EVENT = 1024;
const MIN_WINDOW = 64 * 1024;

/** The page needs records the window does not hold. */
const BEYOND = Symbol('beyond the window');

export async function firstEventPage(file: string, q: ListOptions & { limit: number }): Promise<Page<SessionEvent>> {
  const from = q.order === 'desc' ? 'end' : 'start';
  for (let bytes = Math.max(MIN_WINDOW, q.limit * BYTES_PER_EVENT); ; bytes *= 4) {
    const w = await readLogWindow<SessionEvent>(file, from, bytes);
    if (!w) continue;
    try {
      return eventPage(w.atEnd ? w.first + w.events.length : Number.MAX_SAFE_INTEGER, (seq) => seen(w, seq), q);
    } catch (err) {
      if (err !== BEYOND) throw err;
    }
  }
}

/** Event `seq` as the events list shows it (withProcessedAt), or BEYOND when that needs records past the window. */
function seen(w: LogWindow<SessionEvent>, seq: number): SessionEvent {
  const at = seq - w.first;
  const e = w.events[at];
  // The page's count bounds seq only when the window reaches the end; before its start is beyond unless it is seq 0.
  if (e === undefined) throw BEYOND;
  const shown = withProcessedAt(w.events, e, at);
  // A queued message whose model request may start after the window.
  if (shown.processed_at === null && e.type === 'user.message' && !w.atEnd) throw BEYOND;
  return shown;
}
