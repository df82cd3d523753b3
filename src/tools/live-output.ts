import type { ToolOutputSnapshot } from '../wire/tool-output';
import { dropPartialEnd, skipContinuationBytes } from './collector';
import { hasNul, isUtf8, stripAnsi } from './output';

// The live output of a running command (issue #12 §4), bounded where it is produced: whatever a command prints
// (a 1 GB flood, binary), at most `keepBytes` of it is held and at most one snapshot per `intervalMs` leaves, so
// neither the tool server's pipe, nor the host, nor a UI can be flooded. Snapshots (not deltas) are idempotent: a
// consumer keeps only the latest, and a dropped one costs nothing.

export interface Clock {
  now(): number;
  setTimer(fn: () => void, ms: number): () => void;
}

const realClock: Clock = {
  now: () => Date.now(),
  setTimer: (fn, ms) => {
    const t = setTimeout(fn, ms);
    return () => clearTimeout(t);
  },
};

export interface LiveOutputOptions {
  /** Least time between two snapshots (default 100 ms: about 10 updates a second). */
  intervalMs?: number;
  /** Bytes of the output's end a snapshot holds (default 8 KiB). */
  keepBytes?: number;
  clock?: Clock;
}

export class LiveOutput {
  private chunks: Buffer[] = [];
  private held = 0;
  private total = 0;
  private lastEmit = Number.NEGATIVE_INFINITY;
  private cancel: (() => void) | null = null;
  private closed = false;
  private readonly intervalMs: number;
  private readonly keepBytes: number;
  private readonly clock: Clock;

  constructor(
    private readonly emit: (snapshot: ToolOutputSnapshot) => void,
    options: LiveOutputOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? 100;
    this.keepBytes = options.keepBytes ?? 8 * 1024;
    this.clock = options.clock ?? realClock;
  }

  push(chunk: Buffer): void {
    if (this.closed || chunk.length === 0) return;
    this.total += chunk.length;
    this.chunks.push(chunk);
    this.held += chunk.length;
    // Trimmed once twice the window is held, so a flood of small chunks costs O(1) per chunk.
    if (this.held > 2 * this.keepBytes) {
      const all = Buffer.concat(this.chunks);
      this.chunks = [all.subarray(all.length - this.keepBytes)];
      this.held = this.keepBytes;
    }
    // The first output shows at once (chunks of the same moment coalesce); later ones wait out the interval.
    this.cancel ??= this.clock.setTimer(() => this.fire(), Math.max(0, this.lastEmit + this.intervalMs - this.clock.now()));
  }

  /** No snapshot leaves after this (the command ended: its result replaces the preview). */
  close(): void {
    this.closed = true;
    this.cancel?.();
    this.cancel = null;
    this.chunks = [];
  }

  /** What a snapshot would hold now. */
  snapshot(): ToolOutputSnapshot {
    let buf: Buffer = Buffer.concat(this.chunks);
    const cut = this.total > this.keepBytes;
    if (cut) buf = skipContinuationBytes(buf.subarray(buf.length - this.keepBytes));
    // The command may be in the middle of printing a character.
    buf = dropPartialEnd(buf);
    if (hasNul(buf) || !isUtf8(buf)) return { text: '', bytes: this.total, cut, binary: true };
    return { text: stripAnsi(buf.toString('utf8')), bytes: this.total, cut, binary: false };
  }

  private fire(): void {
    this.cancel = null;
    if (this.closed) return;
    this.lastEmit = this.clock.now();
    this.emit(this.snapshot());
  }
}

/**
 * Forwards a shell's output up to the end-of-command marker its framing prints, holding back any end that could be
 * the marker's beginning, so the marker never shows in a preview.
 */
export function untilMarker(marker: Buffer, sink: (chunk: Buffer) => void): (chunk: Buffer) => void {
  let held = Buffer.alloc(0);
  let done = false;
  return (chunk) => {
    if (done) return;
    const data = held.length > 0 ? Buffer.concat([held, chunk]) : chunk;
    const at = data.indexOf(marker);
    if (at >= 0) {
      done = true;
      if (at > 0) sink(data.subarray(0, at));
      return;
    }
    let keep = Math.min(marker.length - 1, data.length);
    while (keep > 0 && !data.subarray(data.length - keep).equals(marker.subarray(0, keep))) keep--;
    held = Buffer.from(data.subarray(data.length - keep));
    if (data.length > keep) sink(data.subarray(0, data.length - keep));
  };
}

export const PREVIEW_LINES = 10;
export const PREVIEW_LINE_CHARS = 200;

/**
 * The few last lines a surface shows of a (scrubbed) output end: a line cut by the window's start is dropped, a
 * carriage return shows what a terminal would (the text after it: progress bars), and long lines are capped.
 */
export function tailLines(text: string, cut: boolean, lines = PREVIEW_LINES, lineChars = PREVIEW_LINE_CHARS): string {
  let body = text;
  if (cut) {
    const nl = body.indexOf('\n');
    body = nl >= 0 ? body.slice(nl + 1) : body;
  }
  const all = body.replace(/\n+$/, '').split('\n');
  return all
    .slice(-lines)
    .map((line) => {
      const shown = line.replace(/\r+$/, '');
      const visible = shown.slice(shown.lastIndexOf('\r') + 1);
      return visible.length > lineChars ? `${visible.slice(0, lineChars - 1)}…` : visible;
    })
    .join('\n');
}
