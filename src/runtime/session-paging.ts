import { z } from 'zod';
import { invalid } from './errors';

// Keyset paging for sessions.list (the one BidirectionalPageCursor endpoint): a cursor names the (created_at, id)
// boundary and the direction, so sessions created between two page reads never shift or repeat a page.
// Filters that need a session's files (its record, its status) are asked lazily, in page order, so a page costs the
// sessions on it (plus one look-ahead each way), not every session in storage.

const Cursor = z.object({ o: z.enum(['asc', 'desc']), k: z.tuple([z.string(), z.string()]), d: z.enum(['next', 'prev']) });
type Key = [string, string];

export interface BidiPage<T> {
  data: T[];
  next_page: string | null;
  prev_page: string | null;
}

interface Keyed {
  created_at: string;
  id: string;
}

/** Pages `all` (unsorted) in (created_at, id) order; only items `match` accepts count, and it is asked lazily. */
export async function pageSessions<T extends Keyed>(
  all: readonly T[],
  order: 'asc' | 'desc',
  limit: number,
  page: string | undefined,
  match: (item: T) => boolean | Promise<boolean> = () => true,
): Promise<BidiPage<T>> {
  // Timestamps all have the same ISO form, so code-unit order is their collation order (and much cheaper to compare).
  const sign = order === 'asc' ? 1 : -1;
  const cmpKey = (aAt: string, aId: string, bAt: string, bId: string) => (aAt === bAt ? aId.localeCompare(bId) : aAt < bAt ? -1 : 1) * sign;
  const cmp = (a: Key, b: Key) => cmpKey(a[0], a[1], b[0], b[1]);
  const sorted = [...all].sort((a, b) => cmpKey(a.created_at, a.id, b.created_at, b.id));
  const answers = new Map<number, boolean>();
  const matches = async (i: number): Promise<boolean> => {
    let m = answers.get(i);
    if (m === undefined) answers.set(i, (m = await match(sorted[i]!)));
    return m;
  };
  const anyMatch = async (from: number, step: 1 | -1): Promise<boolean> => {
    for (let i = from; i >= 0 && i < sorted.length; i += step) if (await matches(i)) return true;
    return false;
  };
  const c = page ? decode(page) : null;
  if (c && c.o !== order) throw invalid(`This page cursor was made with order=${c.o}; repeat the request with order=${c.o} or start without page.`);
  const picked: number[] = [];
  // The items still needed are asked together: the same ones a one-by-one walk would ask, their reads overlapped.
  const pick = async (from: number, step: 1 | -1) => {
    for (let i = from; i >= 0 && i < sorted.length && picked.length < limit; ) {
      const batch: number[] = [];
      for (; batch.length < limit - picked.length && i >= 0 && i < sorted.length; i += step) batch.push(i);
      const answers = await Promise.all(batch.map(matches));
      batch.forEach((at, k) => answers[k] && picked.length < limit && picked.push(at));
    }
  };
  if (c?.d === 'prev') {
    let end = sorted.findIndex((s) => cmp([s.created_at, s.id], c.k) >= 0);
    if (end < 0) end = sorted.length;
    await pick(end - 1, -1);
    picked.reverse();
  } else {
    let start = c ? sorted.findIndex((s) => cmp([s.created_at, s.id], c.k) > 0) : 0;
    if (start < 0) start = sorted.length;
    await pick(start, 1);
  }
  const data = picked.map((i) => sorted[i]!);
  const first = data[0];
  const last = data[data.length - 1];
  return {
    data,
    next_page: last && (await anyMatch(picked.at(-1)! + 1, 1)) ? encode({ o: order, k: [last.created_at, last.id], d: 'next' }) : null,
    prev_page: first && (await anyMatch(picked[0]! - 1, -1)) ? encode({ o: order, k: [first.created_at, first.id], d: 'prev' }) : null,
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
