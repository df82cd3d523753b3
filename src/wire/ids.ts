// Web Crypto rather than node:crypto: the wire is also bundled into the browser webview.
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
// 248 = 4 * 62: bytes at or above it are dropped so every base62 digit is equally likely.
const UNBIASED_LIMIT = 248;
const RANDOM_CHARS = 22;
// One getrandom call per 4 KiB instead of one per id: ids are minted on every append.
const POOL_BYTES = 4096;
let pool = new Uint8Array(0);
let poolPos = 0;

function randomByte(): number {
  if (poolPos >= pool.length) {
    pool = globalThis.crypto.getRandomValues(new Uint8Array(POOL_BYTES));
    poolPos = 0;
  }
  return pool[poolPos++]!;
}

/** `${prefix}_011` + 22 random base62 chars, the shape of Managed Agents ids (e.g. `sevt_011CZkZ…`). */
export function newId(prefix: string): string {
  let out = `${prefix}_011`;
  while (out.length < prefix.length + 4 + RANDOM_CHARS) {
    const byte = randomByte();
    if (byte < UNBIASED_LIMIT) out += BASE62[byte % 62];
  }
  return out;
}

/** Current time as RFC 3339 in UTC with milliseconds; sorts lexicographically. */
export function nowIso(): string {
  return new Date().toISOString();
}
