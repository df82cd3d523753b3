import type { Memory, MemoryPrefix } from '../wire';
import { invalid } from './errors';

// Memory paths (reference §7.8): `/`-separated, starting with `/`, 1 to 20 segments, none empty, `.` or `..`, NFC,
// at most 1024 UTF-8 bytes, case-sensitive. Mounted stores turn them into files, so a path is also refused when a
// segment could not be a file name (NUL, a backslash that Windows reads as a separator).

const MAX_SEGMENTS = 20;
const MAX_PATH_BYTES = 1024;

/** The path, checked; a 400 that says what is wrong otherwise. */
export function checkMemoryPath(raw: string, what = 'path'): string {
  const example = 'for example "/notes/build.md"';
  if (!raw.startsWith('/')) throw invalid(`${what} ${JSON.stringify(raw)} must start with "/", ${example}.`);
  if (raw.normalize('NFC') !== raw) throw invalid(`${what} ${JSON.stringify(raw)} is not in Unicode NFC form; normalize it first.`);
  if (Buffer.byteLength(raw, 'utf8') > MAX_PATH_BYTES) throw invalid(`${what} is ${Buffer.byteLength(raw, 'utf8')} bytes; the limit is ${MAX_PATH_BYTES}.`);
  const segments = raw.slice(1).split('/');
  if (segments.length > MAX_SEGMENTS) throw invalid(`${what} ${JSON.stringify(raw)} has ${segments.length} segments; the limit is ${MAX_SEGMENTS}.`);
  for (const s of segments) {
    if (s === '') throw invalid(`${what} ${JSON.stringify(raw)} has an empty segment (a leading, doubled or trailing "/"); ${example}.`);
    if (s === '.' || s === '..') throw invalid(`${what} ${JSON.stringify(raw)} has a "${s}" segment; memory paths are absolute within the store, ${example}.`);
    if (/[\0\\]/.test(s)) throw invalid(`${what} ${JSON.stringify(raw)} has a NUL or backslash; use "/" between segments.`);
  }
  return raw;
}

/** A listing prefix: `/` or a path ending with `/` (whole segments only). */
export function checkPathPrefix(raw: string): string {
  if (raw === '/') return raw;
  if (!raw.endsWith('/')) throw invalid(`path_prefix ${JSON.stringify(raw)} must end with "/" (it matches whole segments), for example "/notes/".`);
  checkMemoryPath(raw.slice(0, -1), 'path_prefix');
  return raw;
}

/** Two paths overlap when they are equal or one is a folder of the other: `/a` and `/a/b` cannot both exist. */
export function pathsOverlap(a: string, b: string): boolean {
  return a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`);
}

/**
 * The listing of `memories` under `prefix`, sorted by path: with depth 0 every memory; with depth n the memories at
 * most n segments below the prefix, deeper ones rolled up into one memory_prefix per folder n segments down.
 */
export function listUnder(memories: readonly Memory[], prefix: string, depth: number): Array<Memory | MemoryPrefix> {
  const out: Array<Memory | MemoryPrefix> = [];
  const rolled = new Set<string>();
  for (const m of memories) {
    if (!m.path.startsWith(prefix)) continue;
    const rest = m.path.slice(prefix.length).split('/');
    if (depth === 0 || rest.length <= depth) {
      out.push(m);
      continue;
    }
    const folder = `${prefix}${rest.slice(0, depth).join('/')}/`;
    if (!rolled.has(folder)) {
      rolled.add(folder);
      out.push({ type: 'memory_prefix', path: folder });
    }
  }
  return out.sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
}
