import { createHash } from 'node:crypto';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import * as z from 'zod';
import { lazySchema } from '../wire/lazy';
import { OutcomeEvaluation, SessionStatus, SessionUsage, StopReason, type ModelCatalog, type SessionSummary } from '../wire';
import { isErrno, replaceFile } from '../log/fsutil';
import { readKeyed } from './session-list-file';
import type { LogPosition } from '../log/log-tail';

// <sessions>/<id>/summary.json: the fold of a session's log (status, usage, cost…) and how far into the log it reached,
// so a listing in a fresh process reads one small file instead of folding the whole log. It is a cache, never the
// truth (ARCHITECTURE.md invariant 1): a log that grew past `position` is folded on from there, a replaced or shorter
// log from the start, and a file that is missing, torn or made with other prices is ignored and rewritten.

export const SUMMARY_FILE = 'summary.json';

const Summary = lazySchema(() => z.object({
  status: SessionStatus,
  stopReason: StopReason.nullable(),
  usage: SessionUsage,
  costCents: z.number(),
  costEstimated: z.boolean(),
  modelRequests: z.number(),
  toolCalls: z.number(),
  turns: z.number(),
  firstEventAt: z.string().nullable(),
  lastEventAt: z.string().nullable(),
  runningSince: z.number().nullable(),
  activeMs: z.number(),
  lastError: z.string().nullable(),
  outcomes: z.array(OutcomeEvaluation),
}) satisfies z.ZodType<SessionSummary>);

const SummaryFile = lazySchema(() => z.object({
  v: z.literal(1),
  /** Fingerprint of the catalogue's prices the cost was computed with. */
  prices: z.string(),
  position: z.object({ ino: z.number(), end: z.number().int().nonnegative(), count: z.number().int().nonnegative(), mtimeMs: z.number(), mark: z.string().regex(/^(?:[0-9a-f]{2})*$/) }),
  summary: Summary,
}));

export interface StoredFold {
  position: LogPosition;
  summary: SessionSummary;
}

/** Identifies the catalogue's models and prices: a summary priced with another catalogue is folded again. */
export function pricesFingerprint(catalog: ModelCatalog): string {
  return createHash('sha256').update(JSON.stringify(catalog.identity())).digest('hex').slice(0, 16);
}

/**
 * The stored fold of the session in `dir`; null when there is none usable (missing, torn, other prices). A file whose
 * key is `vouched` (from the session's list line: a full validation found it exact) is taken with JSON.parse; `key` is
 * the file's key when it is exact, so the listing can vouch for it (session-list-file.ts).
 */
export async function readSummaryFile(dir: string, prices: string, vouched: string | null = null): Promise<(StoredFold & { key: string | null }) | null> {
  const file = await readKeyed(path.join(dir, SUMMARY_FILE));
  if (!file) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(file.text);
  } catch {
    return null;
  }
  let body: z.infer<typeof SummaryFile>;
  let exact = true;
  if (file.key === vouched) body = raw as z.infer<typeof SummaryFile>;
  else {
    const parsed = SummaryFile.safeParse(raw);
    if (!parsed.success) return null;
    body = parsed.data;
    exact = isDeepStrictEqual(body, raw);
  }
  if (body.prices !== prices) return null;
  return { position: body.position, summary: body.summary, key: exact ? file.key : null };
}

/** Stores the fold; a session deleted meanwhile is not brought back (its directory stays gone). */
export async function writeSummaryFile(dir: string, prices: string, fold: StoredFold): Promise<void> {
  const body: z.infer<typeof SummaryFile> = { v: 1, prices, position: fold.position, summary: fold.summary };
  try {
    await replaceFile(path.join(dir, SUMMARY_FILE), JSON.stringify(body));
  } catch (err) {
    if (!isErrno(err, 'ENOENT')) throw err;
  }
}
