import { capMiddle, formatBytes, hasNul, isUtf8, stripAnsi } from './output';

/**
 * Collects a command's output with bounded memory: the first `keep` bytes, and at least the last `keep` bytes;
 * what falls between is only counted. Also finds the end-of-command marker the shell prints after the output.
 */
export class OutputCollector {
  private head: Buffer[] = [];
  private headBytes = 0;
  private tail: Buffer[] = [];
  private tailBytes = 0;
  private dropped = 0;
  private total = 0;
  private window = Buffer.alloc(0);
  private markerAt = -1;
  private exitCode: number | null = null;

  constructor(
    private readonly keep: number,
    private readonly marker: Buffer,
  ) {}

  /** Exit code printed after the marker, once the marker line is complete. */
  get finished(): number | null {
    return this.exitCode;
  }

  push(data: Buffer): void {
    const start = this.total;
    this.total += data.length;
    let rest = data;
    if (this.headBytes < this.keep) {
      const take = Math.min(this.keep - this.headBytes, rest.length);
      this.head.push(rest.subarray(0, take));
      this.headBytes += take;
      rest = rest.subarray(take);
    }
    if (rest.length > 0) {
      this.tail.push(rest);
      this.tailBytes += rest.length;
      while (this.tail.length > 1 && this.tailBytes - (this.tail[0] as Buffer).length >= this.keep) {
        const first = this.tail.shift() as Buffer;
        this.tailBytes -= first.length;
        this.dropped += first.length;
      }
    }
    this.scan(data, start);
  }

  // The marker line is `<marker><digits>\n` where the marker starts with the newline the framing prints before it;
  // it may arrive split across chunks.
  private scan(data: Buffer, start: number): void {
    if (this.exitCode !== null) return;
    const windowStart = start - this.window.length;
    this.window = Buffer.concat([this.window, data]);
    if (this.markerAt < 0) {
      const idx = this.window.indexOf(this.marker);
      if (idx < 0) {
        this.window = this.window.subarray(Math.max(0, this.window.length - this.marker.length));
        return;
      }
      this.markerAt = windowStart + idx;
    }
    const relMarker = this.markerAt - windowStart;
    const digitsStart = relMarker + this.marker.length;
    const nl = this.window.indexOf(0x0a, digitsStart);
    if (nl < 0) return;
    const code = Number.parseInt(this.window.subarray(digitsStart, nl).toString('latin1'), 10);
    this.exitCode = Number.isFinite(code) ? code : -1;
  }

  /** Output as the model sees it: up to the marker, ANSI codes stripped, capped, binary replaced by a notice. */
  render(maxChars: number): string {
    const end = this.markerAt >= 0 ? this.markerAt : this.total;
    const head = Buffer.concat(this.head).subarray(0, Math.min(this.headBytes, end));
    const tailStart = this.total - this.tailBytes;
    const tail = end > tailStart ? Buffer.concat(this.tail).subarray(0, end - tailStart) : Buffer.alloc(0);
    if (hasNul(head) || hasNul(tail)) return binaryNotice(end);
    if (this.dropped === 0) {
      const all = Buffer.concat([head, tail]);
      if (!isUtf8(all)) return binaryNotice(end);
      return capMiddle(stripAnsi(all.toString('utf8')), maxChars);
    }
    const tailAligned = skipContinuationBytes(tail);
    if (!isUtf8(head, true) || !isUtf8(tailAligned)) return binaryNotice(end);
    const headText = stripAnsi(dropPartialEnd(head).toString('utf8'));
    const tailText = stripAnsi(tailAligned.toString('utf8'));
    const half = Math.floor(maxChars / 2);
    const keptHead = headText.slice(0, half);
    const keptTail = tailText.slice(Math.max(0, tailText.length - half));
    const cut = headText.length - keptHead.length + (tailText.length - keptTail.length) + this.dropped;
    return `${keptHead}\n[… about ${cut} characters cut …]\n${keptTail}`;
  }
}

function binaryNotice(bytes: number): string {
  return `[binary output (${formatBytes(bytes)}) not shown; redirect it to a file, or pipe it through xxd | head or base64]`;
}

/** Skips the continuation bytes of a UTF-8 character whose start was cut off. */
export function skipContinuationBytes(buf: Buffer): Buffer {
  let i = 0;
  while (i < 3 && i < buf.length && ((buf[i] as number) & 0xc0) === 0x80) i++;
  return buf.subarray(i);
}

// Drops an incomplete UTF-8 sequence at the very end (the cut fell inside a character).
export function dropPartialEnd(buf: Buffer): Buffer {
  for (let back = 1; back <= Math.min(3, buf.length); back++) {
    const byte = buf[buf.length - back] as number;
    if ((byte & 0xc0) === 0x80) continue;
    const need = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return need > back ? buf.subarray(0, buf.length - back) : buf;
  }
  return buf;
}
