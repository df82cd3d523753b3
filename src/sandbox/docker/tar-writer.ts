// A tar archive (POSIX ustar, with pax records where a name, link target, id or size does not fit) built in one pass
// into large chunks. Copy mode streams a whole repository this way: tar-stream's per-entry streams cost about as much
// as the engine's unpacking of the same 10k files, and left the engine waiting on this process.

const BLOCK = 512;
const ZEROS = Buffer.alloc(BLOCK * 2);

export interface TarEntry {
  name: string;
  type: 'file' | 'directory' | 'symlink';
  mode: number;
  uid: number;
  gid: number;
  mtime: Date;
  content?: Buffer;
  linkname?: string;
}

const TYPEFLAG = { file: '0', directory: '5', symlink: '2' } as const;

function octal(buf: Buffer, value: number, offset: number, width: number): void {
  buf.write(value.toString(8).padStart(width - 1, '0'), offset, width - 1, 'ascii');
}

/** name and prefix fields for a path, or null when it fits neither way (a pax path record carries it). */
function splitName(name: string): { name: string; prefix: string } | null {
  if (Buffer.byteLength(name) <= 100) return { name, prefix: '' };
  for (let i = name.indexOf('/'); i > 0; i = name.indexOf('/', i + 1)) {
    const prefix = name.slice(0, i);
    const rest = name.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(rest) <= 100 && rest.length > 0) return { name: rest, prefix };
  }
  return null;
}

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let len = Buffer.byteLength(body) + 1;
  while (String(len).length + Buffer.byteLength(body) !== len) len = String(len).length + Buffer.byteLength(body);
  return `${len}${body}`;
}

function header(name: string, prefix: string, typeflag: string, mode: number, uid: number, gid: number, size: number, mtime: number, linkname: string): Buffer {
  const h = Buffer.alloc(BLOCK);
  h.write(name, 0, 100, 'utf8');
  octal(h, mode & 0o7777, 100, 8);
  octal(h, uid, 108, 8);
  octal(h, gid, 116, 8);
  octal(h, size, 124, 12);
  octal(h, mtime, 136, 12);
  h.write(typeflag, 156, 1, 'ascii');
  h.write(linkname, 157, 100, 'utf8');
  h.write('ustar\u000000', 257, 8, 'ascii');
  h.write(prefix, 345, 155, 'utf8');
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += h[i] as number;
  h.write(`${sum.toString(8).padStart(6, '0')}\u0000 `, 148, 8, 'ascii');
  return h;
}

const padding = (size: number) => ZEROS.subarray(0, (BLOCK - (size % BLOCK)) % BLOCK);

/** Entries appended as buffers; take() hands over what was added since the last take. */
export class TarWriter {
  private parts: Buffer[] = [];
  bytes = 0;

  private push(b: Buffer): void {
    if (b.length === 0) return;
    this.parts.push(b);
    this.bytes += b.length;
  }

  add(e: TarEntry): void {
    const size = e.type === 'file' ? (e.content?.length ?? 0) : 0;
    const linkname = e.linkname ?? '';
    const name = e.type === 'directory' && !e.name.endsWith('/') ? `${e.name}/` : e.name;
    const split = splitName(name);
    const pax = [
      split ? '' : paxRecord('path', name),
      Buffer.byteLength(linkname) > 100 ? paxRecord('linkpath', linkname) : '',
      size > 0o77777777777 ? paxRecord('size', String(size)) : '',
      e.uid > 0o7777777 ? paxRecord('uid', String(e.uid)) : '',
      e.gid > 0o7777777 ? paxRecord('gid', String(e.gid)) : '',
    ].join('');
    const mtime = Math.max(0, Math.floor(e.mtime.getTime() / 1000));
    if (pax) {
      const body = Buffer.from(pax, 'utf8');
      this.push(header('PaxHeader', '', 'x', 0o644, 0, 0, body.length, mtime, ''));
      this.push(body);
      this.push(padding(body.length));
    }
    const fit = (v: number, max: number) => (v > max ? 0 : v);
    this.push(header(split?.name ?? name.slice(0, 100), split?.prefix ?? '', TYPEFLAG[e.type], e.mode, fit(e.uid, 0o7777777), fit(e.gid, 0o7777777), fit(size, 0o77777777777), mtime, Buffer.byteLength(linkname) > 100 ? '' : linkname));
    if (e.type === 'file' && e.content) {
      this.push(e.content);
      this.push(padding(size));
    }
  }

  /** What was added since the last take, as one buffer. */
  take(): Buffer {
    const out = Buffer.concat(this.parts, this.bytes);
    this.parts = [];
    this.bytes = 0;
    return out;
  }

  /** The end-of-archive blocks. */
  end(): Buffer {
    this.push(ZEROS);
    return this.take();
  }
}

/** Tar chunks of about this size go to the engine: few enough writes, small enough to keep memory flat. */
const CHUNK_BYTES = 1024 * 1024;

/** `entries` as one tar, in chunks of about a MB. */
export async function* tarChunks(entries: AsyncIterable<TarEntry>): AsyncGenerator<Buffer> {
  const tar = new TarWriter();
  for await (const e of entries) {
    tar.add(e);
    if (tar.bytes >= CHUNK_BYTES) yield tar.take();
  }
  yield tar.end();
}
