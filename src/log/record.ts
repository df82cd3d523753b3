import { crc32 } from 'node:zlib';
import { LogCorruptError } from './errors';

/** The envelope every persisted event has; the rest of an event is opaque to the log. */
export interface LogEvent {
  id: string;
  type: string;
  processed_at: string | null;
}

// One record per line, fixed field order so a reader can find the event's bytes without parsing the header as
// JSON: {"s":<seq>,"c":"<crc32 hex of the event JSON>","e":<event JSON>}\n
const PREFIX = Buffer.from('{"s":');
const AFTER_SEQ = Buffer.from(',"c":"');
const AFTER_CRC = Buffer.from('","e":');
const NEWLINE = 0x0a;
const CLOSE_BRACE = 0x7d;
const MAX_SEQ_DIGITS = 15;

export function crcHex(json: string): string {
  return crc32(json).toString(16).padStart(8, '0');
}

// CRC-32 (zlib's polynomial) of a range of a buffer, sliced by 8 bytes. Checking a record this way needs no Buffer view
// of its bytes, and per record (a few hundred bytes) it is faster than zlib.crc32 of a subarray: reading a 20,000-event
// log checks 20,000 of them (issue #17, hangar events).
const CRC_TABLES = (() => {
  const t = new Int32Array(256 * 8);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  for (let n = 0; n < 256; n++) for (let k = 256; k < t.length; k += 256) t[k + n] = (t[k - 256 + n]! >>> 8) ^ t[t[k - 256 + n]! & 0xff]!;
  return t;
})();

/** zlib.crc32(buf.subarray(start, end)), without the subarray. */
export function crc32Range(buf: Uint8Array, start: number, end: number): number {
  const t = CRC_TABLES;
  let c = -1;
  let i = start;
  for (; i + 8 <= end; i += 8) {
    c ^= buf[i]! | (buf[i + 1]! << 8) | (buf[i + 2]! << 16) | (buf[i + 3]! << 24);
    c = t[1792 + (c & 0xff)]! ^ t[1536 + ((c >>> 8) & 0xff)]! ^ t[1280 + ((c >>> 16) & 0xff)]! ^ t[1024 + (c >>> 24)]! ^ t[768 + buf[i + 4]!]! ^ t[512 + buf[i + 5]!]! ^ t[256 + buf[i + 6]!]! ^ t[buf[i + 7]!]!;
  }
  for (; i < end; i++) c = t[(c ^ buf[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

export function encodeRecord(seq: number, eventJson: string): string {
  return `{"s":${seq},"c":"${crcHex(eventJson)}","e":${eventJson}}\n`;
}

export type LineCheck = { ok: true; seq: number; eStart: number; eEnd: number } | { ok: false; reason: string };

function matchAt(buf: Buffer, at: number, token: Buffer): boolean {
  if (at + token.length > buf.length) return false;
  for (let k = 0; k < token.length; k++) if (buf[at + k] !== token[k]) return false;
  return true;
}

function hexValue(byte: number): number {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  if (byte >= 0x61 && byte <= 0x66) return byte - 0x61 + 10;
  return -1;
}

/** Checks framing and CRC of the line buf[start, end) (end excludes the newline) without parsing the event. */
export function checkLine(buf: Buffer, start: number, end: number): LineCheck {
  if (!matchAt(buf, start, PREFIX)) return { ok: false, reason: 'not a log record' };
  let p = start + PREFIX.length;
  let seq = 0;
  const digitsStart = p;
  while (p < end && buf[p]! >= 0x30 && buf[p]! <= 0x39) seq = seq * 10 + (buf[p++]! - 0x30);
  if (p === digitsStart || p - digitsStart > MAX_SEQ_DIGITS) return { ok: false, reason: 'bad sequence number' };
  if (!matchAt(buf, p, AFTER_SEQ)) return { ok: false, reason: 'not a log record' };
  p += AFTER_SEQ.length;
  let crc = 0;
  for (let k = 0; k < 8; k++) {
    const v = p + k < end ? hexValue(buf[p + k]!) : -1;
    if (v < 0) return { ok: false, reason: 'bad checksum field' };
    crc = crc * 16 + v;
  }
  p += 8;
  if (!matchAt(buf, p, AFTER_CRC)) return { ok: false, reason: 'not a log record' };
  const eStart = p + AFTER_CRC.length;
  const eEnd = end - 1;
  if (eEnd <= eStart || buf[eEnd] !== CLOSE_BRACE) return { ok: false, reason: 'record is cut short' };
  if (crc32Range(buf, eStart, eEnd) !== crc) return { ok: false, reason: 'checksum mismatch' };
  return { ok: true, seq, eStart, eEnd };
}

// Replay checks the envelope by hand: EventEnvelope costs ~137 ms per 100k events here, and a matching checksum
// already shows these are the bytes that passed EventEnvelope on append.
function envelopeProblem(e: unknown): string | null {
  if (typeof e !== 'object' || e === null || Array.isArray(e)) return 'event is not an object';
  const r = e as Record<string, unknown>;
  if (typeof r.id !== 'string' || r.id === '') return 'event has no id';
  if (typeof r.type !== 'string' || r.type === '') return 'event has no type';
  if (r.processed_at !== null && typeof r.processed_at !== 'string') return 'event has a bad processed_at';
  return null;
}

/** The first record that failed, when nothing valid follows it: bytes a crashed write left behind. */
export interface TornTail {
  line: number;
  offset: number;
  reason: string;
  /** false when the data ends without a newline (a write may still be in progress). */
  complete: boolean;
}

export interface ScanResult<E> {
  events: E[];
  /** Ids of `events`, mapped to their seq. */
  ids: Map<string, number>;
  /** Absolute file offset just past the last valid record. */
  end: number;
  torn: TornTail | null;
}

/**
 * Parses records from `buf`, which starts at file offset `base` with record `firstSeq`. Only damage that nothing
 * valid follows is returned as a torn tail. A bad record followed by a valid one, or a record whose checksum holds
 * but whose content does not fit (wrong seq, bad envelope, duplicate id), throws LogCorruptError: truncating either
 * would silently drop history.
 */
export function scanRecords<E extends LogEvent>(
  buf: Buffer,
  opts: { file: string; base: number; firstSeq: number; known: ReadonlyMap<string, number> },
): ScanResult<E> {
  const { file, base, firstSeq, known } = opts;
  const events: E[] = [];
  const ids = new Map<string, number>();
  let pos = 0;
  const corrupt = (at: number, reason: string): LogCorruptError =>
    new LogCorruptError(file, firstSeq + events.length + 1, base + at, reason);
  while (pos < buf.length) {
    const nl = buf.indexOf(NEWLINE, pos);
    if (nl === -1) {
      const torn = { line: firstSeq + events.length + 1, offset: base + pos, reason: 'incomplete last line', complete: false };
      return { events, ids, end: base + pos, torn };
    }
    const check = checkLine(buf, pos, nl);
    if (!check.ok) {
      if (validRecordFollows(buf, nl + 1)) throw corrupt(pos, `${check.reason}, and valid records follow it`);
      const torn = { line: firstSeq + events.length + 1, offset: base + pos, reason: check.reason, complete: true };
      return { events, ids, end: base + pos, torn };
    }
    const seq = firstSeq + events.length;
    if (check.seq !== seq) throw corrupt(pos, `sequence number ${check.seq} where ${seq} was expected`);
    let event: unknown;
    try {
      event = JSON.parse(buf.toString('utf8', check.eStart, check.eEnd));
    } catch {
      throw corrupt(pos, 'checksum matches but the event is not JSON');
    }
    const problem = envelopeProblem(event);
    if (problem) throw corrupt(pos, problem);
    const id = (event as E).id;
    if (ids.has(id) || known.has(id)) throw corrupt(pos, `duplicate event id ${id}`);
    ids.set(id, seq);
    events.push(event as E);
    pos = nl + 1;
  }
  return { events, ids, end: base + pos, torn: null };
}

export function validRecordFollows(buf: Buffer, from: number): boolean {
  let pos = from;
  for (;;) {
    const nl = buf.indexOf(NEWLINE, pos);
    if (nl === -1) return false;
    if (checkLine(buf, pos, nl).ok) return true;
    pos = nl + 1;
  }
}
