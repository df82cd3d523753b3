import { invalid } from './errors';
import type { Cursor } from './session-cursor';

// Keyset paging for sessions.list (the one BidirectionalPageCursor endpoint): a cursor names the (created_at, id)
// boundary and the direction, so sessions created between two page reads never shift or repeat a page.
// Filters that need a session's files (its record, its status) are asked lazily, in page order, so a page costs the
// sessions on it (plus one look-ahead each way), not every session in storage.

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

/** The listing order, ascending: (created_at, id). Timestamps all have the same ISO form, so code-unit order is their collation order (and much cheaper to compare). */
export const byCreation = (a: Keyed, b: Keyed): number => (a.created_at === b.created_at ? a.id.localeCompare(b.id) : a.created_at < b.created_at ? -1 : 1);

/** Pages `all` (unsorted) in (created_at, id) order; only items `match` accepts count, and it is asked lazily. */
export function pageSessions<T extends Keyed>(
  all: readonly T[],
  order: 'asc' | 'desc',
  limit: number,
  page: string | undefined,
  match: (item: T) => boolean | Promise<boolean> = () => true,
): Promise<BidiPage<T>> {
  return pageSorted([...all].sort(byCreation), order, limit, page, match);
}

/**
 * Pages `ascending` (sorted by byCreation) without copying it: the page is found by binary search and walked from
 * there in the query's order, so a page costs the items it asks `match` about, not the length of the list.
 */
export async function pageSorted<T extends Keyed>(
  ascending: readonly T[],
  order: 'asc' | 'desc',
  limit: number,
  page: string | undefined,
  match: (item: T) => boolean | Promise<boolean> = () => true,
): Promise<BidiPage<T>> {
  const n = ascending.length;
  // Position i in the query's order is ascending[i] (asc) or ascending[n - 1 - i] (desc).
  const at = order === 'asc' ? (i: number) => ascending[i]! : (i: number) => ascending[n - 1 - i]!;
  const sign = order === 'asc' ? 1 : -1;
  const cmp = (a: Keyed, b: Key) => byCreation(a, { created_at: b[0], id: b[1] }) * sign;
  /** The first position whose item is after `k` (or at or after it, when `inclusive`) in the query's order. */
  const firstAfter = (k: Key, inclusive: boolean) => {
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = cmp(at(mid), k);
      if (c > 0 || (inclusive && c === 0)) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  };
  const answers = new Map<number, boolean>();
  const matches = async (i: number): Promise<boolean> => {
    let m = answers.get(i);
    if (m === undefined) answers.set(i, (m = await match(at(i))));
    return m;
  };
  const anyMatch = async (from: number, step: 1 | -1): Promise<boolean> => {
    for (let i = from; i >= 0 && i < n; i += step) if (await matches(i)) return true;
    return false;
  };
  const c = page ? await decode(page) : null;
  if (c && c.o !== order) throw invalid(`This page cursor was made with order=${c.o}; repeat the request with order=${c.o} or start without page.`);
  const picked: number[] = [];
  // The items still needed are asked together: the same ones a one-by-one walk would ask, their reads overlapped.
  const pick = async (from: number, step: 1 | -1) => {
    for (let i = from; i >= 0 && i < n && picked.length < limit; ) {
      const batch: number[] = [];
      for (; batch.length < limit - picked.length && i >= 0 && i < n; i += step) batch.push(i);
      const answers = await Promise.all(batch.map(matches));
      batch.forEach((at, k) => answers[k] && picked.length < limit && picked.push(at));
    }
  };
  if (c?.d === 'prev') {
    await pick(firstAfter(c.k, true) - 1, -1);
    picked.reverse();
  } else {
    await pick(c ? firstAfter(c.k, false) : 0, 1);
  }
  const data = picked.map(at);
  const first = data[0];
  const last = data[data.length - 1];
  return {
    data,
    next_page: last && (await anyMatch(picked.at(-1)! + 1, 1)) ? encode({ o: order, k: [last.created_at, last.id], d: 'next' }) : null,
    prev_page: first && (await anyMatch(picked[0]! - 1, -1)) ? encode({ o: order, k: [first.created_at, first.id], d: 'prev' }) : null,
  };
}

function encode(c: Cursor): string {
  return Buffer.from(JSON.stringify(c)).toString('base64url');
}

async function decode(page: string): Promise<Cursor> {
  const c = (await import('./session-cursor')).decodeCursor(page);
  if (!c) throw invalid('page is not a cursor this server issued; use next_page or prev_page from a previous response.');
  return c;
}
