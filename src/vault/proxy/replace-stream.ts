import { Transform, type TransformCallback } from 'node:stream';

// Replaces byte sequences in a stream, across chunk boundaries: placeholder → secret in request bodies, secret →
// redaction in response bodies. It holds back the last (longest pattern - 1) bytes until it knows no pattern
// starts there, and prefers the longest pattern where several start at the same byte. A pair may carry a tag (the
// credential id); `hits` collects the tags of the pairs that were replaced at least once.

type Pair = [from: Buffer, to: Buffer, tag: string | undefined];

export class ReplaceStream extends Transform {
  readonly hits = new Set<string>();
  private buf: Buffer = Buffer.alloc(0);
  private readonly pairs: Pair[];
  private readonly keep: number;

  constructor(pairs: Iterable<[from: string | Buffer, to: string | Buffer, tag?: string]>) {
    super();
    this.pairs = [...pairs]
      .map(([from, to, tag]): Pair => [Buffer.from(from), Buffer.from(to), tag])
      .filter(([from]) => from.length > 0)
      .sort((a, b) => b[0].length - a[0].length);
    this.keep = Math.max(0, ...this.pairs.map(([from]) => from.length - 1));
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    this.emitUpTo(this.buf.length - this.keep);
    cb();
  }

  override _flush(cb: TransformCallback): void {
    this.emitUpTo(this.buf.length);
    cb();
  }

  /** Emits everything before `limit` (replaced); a match may start before it and run past it. */
  private emitUpTo(limit: number): void {
    const out: Buffer[] = [];
    let pos = 0;
    for (;;) {
      let at = -1;
      let pair: Pair | null = null;
      for (const p of this.pairs) {
        const i = this.buf.indexOf(p[0], pos);
        // Pairs are longest first, so on a tie the first found (longest) wins.
        if (i >= 0 && i < limit && (at < 0 || i < at)) {
          at = i;
          pair = p;
        }
      }
      if (!pair) break;
      out.push(this.buf.subarray(pos, at), pair[1]);
      if (pair[2] !== undefined) this.hits.add(pair[2]);
      pos = at + pair[0].length;
    }
    const cut = Math.max(pos, limit);
    if (cut > pos) out.push(this.buf.subarray(pos, cut));
    this.buf = this.buf.subarray(cut);
    for (const b of out) if (b.length > 0) this.push(b);
  }
}
