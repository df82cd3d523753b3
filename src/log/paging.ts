import * as z from 'zod';
import { lazySchema } from '../wire/lazy';
import { InvalidCursorError, InvalidQueryError } from './errors';

export type Order = 'asc' | 'desc';

/** The wire's PageCursor shape: `next_page` is passed back as `page`, null on the last page. */
export interface Page<T> {
  data: T[];
  next_page: string | null;
}

export interface PageOptions {
  order?: Order;
  limit?: number;
  /** A `next_page` value from an earlier call with the same order (and the same filters). */
  after?: string | null;
}

export const DEFAULT_LIMIT = 1000;

const PageOptionsSchema = lazySchema(() => z.object({
  order: z.enum(['asc', 'desc']).default('asc'),
  limit: z.number().int().min(1).default(DEFAULT_LIMIT),
  after: z.string().nullish(),
}));

export function parsePageOptions(options: PageOptions): { order: Order; limit: number; after: string | null } {
  const parsed = PageOptionsSchema.safeParse(options);
  if (!parsed.success) throw new InvalidQueryError(z.prettifyError(parsed.error));
  return { order: parsed.data.order, limit: parsed.data.limit, after: parsed.data.after ?? null };
}

// Real cursors are well under 200 characters; anything far longer is not one of ours.
const MAX_CURSOR_CHARS = 2048;
const CursorSchema = lazySchema(() => z.object({ k: z.string(), o: z.enum(['asc', 'desc']), p: z.unknown() }));

/** Opaque to clients; carries the listing kind and order so it cannot be replayed against another of either. */
export function encodeCursor(kind: string, order: Order, position: unknown): string {
  return Buffer.from(JSON.stringify({ k: kind, o: order, p: position })).toString('base64url');
}

export function decodeCursor<P>(cursor: string, kind: string, order: Order, position: z.ZodType<P>): P {
  if (cursor.length > MAX_CURSOR_CHARS) throw new InvalidCursorError('page cursor is not valid');
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError('page cursor is not valid');
  }
  const parsed = CursorSchema.safeParse(raw);
  if (!parsed.success) throw new InvalidCursorError('page cursor is not valid');
  if (parsed.data.k !== kind) throw new InvalidCursorError('page cursor belongs to another listing');
  if (parsed.data.o !== order) {
    throw new InvalidCursorError(`page cursor was made for order=${parsed.data.o}, not order=${order}`);
  }
  const p = position.safeParse(parsed.data.p);
  if (!p.success) throw new InvalidCursorError('page cursor is not valid');
  return p.data;
}

/**
 * Walks items from `start` in steps of ±1, keeping those that match, up to `limit`. `next_page` is set only when
 * another matching item exists, so the last page never comes back empty-handed with a cursor.
 */
export function collectPage<T>(args: {
  count: number;
  at: (index: number) => T;
  start: number;
  step: 1 | -1;
  limit: number;
  match?: (item: T) => boolean;
  cursorOf: (item: T, index: number) => string;
}): Page<T> {
  const { count, at, step, limit, match, cursorOf } = args;
  const data: T[] = [];
  let lastIndex = -1;
  let i = args.start;
  for (; i >= 0 && i < count && data.length < limit; i += step) {
    const item = at(i);
    if (match && !match(item)) continue;
    data.push(item);
    lastIndex = i;
  }
  let more = false;
  for (; i >= 0 && i < count; i += step) {
    if (!match || match(at(i))) {
      more = true;
      break;
    }
  }
  const last = data[data.length - 1];
  return { data, next_page: more && last !== undefined ? cursorOf(last, lastIndex) : null };
}
