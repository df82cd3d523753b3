import path from 'node:path';
import type { ModelCatalog, SessionSummary } from '../wire';
import { isErrno, replaceFile } from '../log/fsutil';
import { readKeyed, type ReadKeyed } from './session-list-file';
import type { LogPosition } from '../log/log-tail';
import type { SummaryFile } from './session-summary-schema';

// <sessions>/<id>/summary.json: the fold of a session's log (status, usage, cost…) and how far into the log it reached,
// so a listing in a fresh process reads one small file instead of folding the whole log. It is a cache, never the
// truth (ARCHITECTURE.md invariant 1): a log that grew past `position` is folded on from there, a replaced or shorter
// log from the start, and a file that is missing, torn or made with other prices is ignored and rewritten.

export const SUMMARY_FILE = 'summary.json';

export interface StoredFold {
  position: LogPosition;
  summary: SessionSummary;
}

/**
 * Identifies the catalogue's models and prices: a summary priced with another catalogue is folded again. A 53-bit
 * string hash (cyrb53: two multiplicative lanes mixed at the end), not a cryptographic one: it only tells catalogues
 * apart, and node:crypto was ~3.5 ms of every `hangar sessions` (issue #17). Summaries that carry the sha256
 * fingerprint of earlier versions are folded again once.
 */
export function pricesFingerprint(catalog: ModelCatalog): string {
  const text = JSON.stringify(catalog.identity());
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return `${(2097151 & h2).toString(16).padStart(6, '0')}${(h1 >>> 0).toString(16).padStart(8, '0')}`;
}

/**
 * The stored fold of the session in `dir`; null when there is none usable (missing, torn, other prices). A file whose
 * key is `vouched` (from the session's list line: a full validation found it exact) is taken with JSON.parse; `key` is
 * the file's key when it is exact, so the listing can vouch for it (session-list-file.ts).
 */
export async function readSummaryFile(dir: string, prices: string, vouched: string | null = null, read: ReadKeyed = readKeyed): Promise<(StoredFold & { key: string | null }) | null> {
  const file = await read(path.join(dir, SUMMARY_FILE));
  if (!file) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(file.text);
  } catch {
    return null;
  }
  // Any file but the vouched one is checked in full, with the schema loaded for it.
  const checked = file.key === vouched ? { body: raw as SummaryFile, exact: true } : (await import('./session-summary-schema')).checkSummaryFile(raw);
  if (!checked || checked.body.prices !== prices) return null;
  return { position: checked.body.position, summary: checked.body.summary, key: checked.exact ? file.key : null };
}

/** Stores the fold; a session deleted meanwhile is not brought back (its directory stays gone). */
export async function writeSummaryFile(dir: string, prices: string, fold: StoredFold): Promise<void> {
  const body: SummaryFile = { v: 1, prices, position: fold.position, summary: fold.summary };
  try {
    await replaceFile(path.join(dir, SUMMARY_FILE), JSON.stringify(body));
  } catch (err) {
    if (!isErrno(err, 'ENOENT')) throw err;
  }
}
