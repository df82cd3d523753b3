import * as z from 'zod';
import { lazySchema } from '../wire/lazy';
import { InvalidQueryError } from './errors';
import { collectPage, decodeCursor, encodeCursor, parsePageOptions, type Page, type PageOptions } from './paging';
import type { LogEvent } from './record';

export interface CreatedAtRange {
  gt?: string;
  gte?: string;
  lt?: string;
  lte?: string;
}

export interface ListOptions extends PageOptions {
  types?: readonly string[];
  /** Bounds on `processed_at` (the wire's `created_at[...]` filter); events not yet processed never match. */
  createdAt?: CreatedAtRange;
  /** Which events the listing is about at all (e.g. one thread of a multi-agent session). */
  where?: (event: LogEvent) => boolean;
}

const CURSOR_KIND = 'events';

/**
 * A page of the events with seq 0 .. count - 1, `at(seq)` being an event as the reader sees it (filters apply to that).
 * Cursors are seqs, so a page served from a window of the log file and the next one served from the whole log agree.
 */
export function eventPage<E extends LogEvent>(count: number, at: (seq: number) => E, opts: ListOptions): Page<E> {
  const { order, limit, after } = parsePageOptions(opts);
  let start = order === 'asc' ? 0 : count - 1;
  if (after) {
    const seq = decodeCursor(after, CURSOR_KIND, order, z.number().int().min(0));
    start = order === 'asc' ? seq + 1 : Math.min(seq - 1, count - 1);
  }
  return collectPage({
    count,
    at,
    start,
    step: order === 'asc' ? 1 : -1,
    limit,
    match: eventMatcher(opts),
    cursorOf: (_e, i) => encodeCursor(CURSOR_KIND, order, i),
  });
}

const Bound = lazySchema(() => z.iso.datetime({ offset: true }).optional());
const CreatedAtSchema = lazySchema(() => z.object({ gt: Bound, gte: Bound, lt: Bound, lte: Bound }).strict());

/** The filter of a listing as one predicate, or undefined when nothing is filtered. Bounds compare as instants. */
export function eventMatcher(opts: ListOptions): ((event: LogEvent) => boolean) | undefined {
  const types = opts.types && opts.types.length > 0 ? new Set(opts.types) : null;
  const inRange = createdAtMatcher(opts.createdAt);
  const where = opts.where;
  if (!types && !inRange && !where) return undefined;
  return (e) => (!where || where(e)) && (!types || types.has(e.type)) && (!inRange || inRange(e.processed_at));
}

function createdAtMatcher(range: CreatedAtRange | undefined): ((processedAt: string | null) => boolean) | null {
  if (!range) return null;
  const parsed = CreatedAtSchema.safeParse(range);
  if (!parsed.success) throw new InvalidQueryError(`created_at: ${z.prettifyError(parsed.error)}`);
  const ms = (v: string | undefined) => (v === undefined ? undefined : Date.parse(v));
  const gt = ms(parsed.data.gt);
  const gte = ms(parsed.data.gte);
  const lt = ms(parsed.data.lt);
  const lte = ms(parsed.data.lte);
  if (gt === undefined && gte === undefined && lt === undefined && lte === undefined) return null;
  return (processedAt) => {
    if (processedAt === null) return false;
    const t = Date.parse(processedAt);
    return (
      !Number.isNaN(t) &&
      (gt === undefined || t > gt) &&
      (gte === undefined || t >= gte) &&
      (lt === undefined || t < lt) &&
      (lte === undefined || t <= lte)
    );
  };
}
