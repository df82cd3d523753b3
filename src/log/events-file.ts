/**
 * A session's log, in its directory. Its own module so that readers of stored sessions (the listing, `hangar events`)
 * name it without loading the log's writer and schemas (session-log.ts).
 */
export const EVENTS_FILE = 'events.jsonl';
