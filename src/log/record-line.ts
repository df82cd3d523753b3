// A log's lines checked without parsing them: framing, sequence number and checksum. Apart from record.ts (the writer's
// encoding, whose checksum of a string is zlib's) so that a reader that only checks lines (`hangar events`) does not
// load zlib (~3 ms).

// One record per line, fixed field order so a reader can find the event's bytes without parsing the header as
// JSON: {"s":<seq>,"c":"<crc32 hex of the event JSON>","e":<event JSON>}\n
const PREFIX_LENGTH = '{"s":'.length;
const AFTER_SEQ_LENGTH = ',"c":"'.length;
const AFTER_CRC_LENGTH = '","e":'.length;
const CLOSE_BRACE = 0x7d;
const MAX_SEQ_DIGITS = 15;

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

export type LineCheck = { ok: true; seq: number; eStart: number; eEnd: number } | { ok: false; reason: string };

const NOT_A_RECORD: LineCheck = { ok: false, reason: 'not a log record' };

/**
 * Checks framing and CRC of the line buf[start, end) (end excludes the newline) without parsing the event. The bytes
 * are compared and the checksum's hex digits read in place, without a call per token or digit: a reader of a long log
 * (`hangar events`) runs this for every record while V8 has not yet optimised it, where each call costs.
 */
export function checkLine(buf: Buffer, start: number, end: number): LineCheck {
  // {"s":
  if (buf[start] !== 0x7b || buf[start + 1] !== 0x22 || buf[start + 2] !== 0x73 || buf[start + 3] !== 0x22 || buf[start + 4] !== 0x3a) return NOT_A_RECORD;
  let p = start + PREFIX_LENGTH;
  let seq = 0;
  const digitsStart = p;
  for (let b = buf[p]!; p < end && b >= 0x30 && b <= 0x39; b = buf[++p]!) seq = seq * 10 + (b - 0x30);
  if (p === digitsStart || p - digitsStart > MAX_SEQ_DIGITS) return { ok: false, reason: 'bad sequence number' };
  // ,"c":"
  if (buf[p] !== 0x2c || buf[p + 1] !== 0x22 || buf[p + 2] !== 0x63 || buf[p + 3] !== 0x22 || buf[p + 4] !== 0x3a || buf[p + 5] !== 0x22) return NOT_A_RECORD;
  p += AFTER_SEQ_LENGTH;
  let crc = 0;
  for (const stop = p + 8; p < stop; p++) {
    const b = p < end ? buf[p]! : 0;
    const v = b >= 0x30 && b <= 0x39 ? b - 0x30 : b >= 0x61 && b <= 0x66 ? b - 0x57 : -1;
    if (v < 0) return { ok: false, reason: 'bad checksum field' };
    crc = crc * 16 + v;
  }
  // ","e":
  if (buf[p] !== 0x22 || buf[p + 1] !== 0x2c || buf[p + 2] !== 0x22 || buf[p + 3] !== 0x65 || buf[p + 4] !== 0x22 || buf[p + 5] !== 0x3a) return NOT_A_RECORD;
  const eStart = p + AFTER_CRC_LENGTH;
  const eEnd = end - 1;
  if (eEnd <= eStart || buf[eEnd] !== CLOSE_BRACE) return { ok: false, reason: 'record is cut short' };
  if (crc32Range(buf, eStart, eEnd) !== crc) return { ok: false, reason: 'checksum mismatch' };
  return { ok: true, seq, eStart, eEnd };
}

const NEWLINE = 0x0a;

export function validRecordFollows(buf: Buffer, from: number): boolean {
  let pos = from;
  for (;;) {
    const nl = buf.indexOf(NEWLINE, pos);
    if (nl === -1) return false;
    if (checkLine(buf, pos, nl).ok) return true;
    pos = nl + 1;
  }
}
