import { z } from 'zod';
import { invalid } from './errors';

// Keyset paging for sessions.list (the one BidirectionalPageCursor endpoint): a cursor names the (created_at, id)
// boundary and the direction, so sessions created between two page reads never shift or repeat a page.

const Cursor = z.object({ o: z.enum(['asc', 'desc']), k: z.tuple([z.string(), z.string()]), d: z.enum(['next', 'prev']) });
type Key = [string, string];

export interface BidiPage<T> {
  data: T[];
  next_page: string | null;
  prev_page: string | null;
}

export function pageSessions<T extends { created_at: string; id: string }>(all: T[], order: 'asc' | 'desc', limit: number, page: string | undefined): BidiPage<T> {
  const cmp = (a: Key, b: Key) => (a[0] === b[0] ? a[1].localeCompare(b[1]) : a[0].localeCompare(b[0])) * (order === 'asc' ? 1 : -1);
  const sorted = [...all].sort((a, b) => cmp([a.created_at, a.id], [b.created_at, b.id]));
  let start = 0;
  let end = Math.min(limit, sorted.length);
  if (page) {
    const c = decode(page);
    if (c.o !== order) throw invalid(`This page cursor was made with order=${c.o}; repeat the request with order=${c.o} or start without page.`);
    if (c.d === 'next') {
      start = sorted.findIndex((s) => cmp([s.created_at, s.id], c.k) > 0);
      if (start < 0) start = sorted.length;
      end = Math.min(start + limit, sorted.length);
    } else {
      end = sorted.findIndex((s) => cmp([s.created_at, s.id], c.k) >= 0);
      if (end < 0) end = sorted.length;
      start = Math.max(0, end - limit);
    }
  }
  const data = sorted.slice(start, end);
  const first = data[0];
  const last = data[data.length - 1];
  return {
    data,
    next_page: last && end < sorted.length ? encode({ o: order, k: [last.created_at, last.id], d: 'next' }) : null,
    prev_page: first && start > 0 ? encode({ o: order, k: [first.created_at, first.id], d: 'prev' }) : null,
  };
}

function encode(c: z.infer<typeof Cursor>): string {
  return Buffer.from(JSON.stringify(c)).toString('base64url');
}

function decode(page: string): z.infer<typeof Cursor> {
  try {
    return Cursor.parse(JSON.parse(Buffer.from(page, 'base64url').toString('utf8')));
  } catch {
    throw invalid('page is not a cursor this server issued; use next_page or prev_page from a previous response.');
  }
}
