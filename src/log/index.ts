export * from './errors';
export { watchWithPoll } from './watch';
export { type Order, type Page, type PageOptions } from './paging';
export { type LogEvent } from './record';
export { type LogIo, type WriterStats } from './log-writer';
export * from './session-log';
export * from './lease';
export * from './inbox';
export * from './json-store';
