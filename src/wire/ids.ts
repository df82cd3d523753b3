import { randomBytes } from 'node:crypto';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
// 248 = 4 * 62: bytes at or above it are dropped so every base62 digit is equally likely.
const UNBIASED_LIMIT = 248;
const RANDOM_CHARS = 22;

/** `${prefix}_011` + 22 random base62 chars, the shape of Managed Agents ids (e.g. `sevt_011CZkZ…`). */
export function newId(prefix: string): string {
  let out = `${prefix}_011`;
  let produced = 0;
  while (produced < RANDOM_CHARS) {
    for (const byte of randomBytes(32)) {
      if (byte >= UNBIASED_LIMIT) continue;
      out += BASE62[byte % 62];
      if (++produced === RANDOM_CHARS) break;
    }
  }
  return out;
}

/** Current time as RFC 3339 in UTC with milliseconds; sorts lexicographically. */
export function nowIso(): string {
  return new Date().toISOString();
}
