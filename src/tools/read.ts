import { open, stat, type FileHandle } from 'node:fs/promises';
import type { ToolOutcome } from '../wire/tool-outcome';
import { formatBytes, hasNul, isUtf8, textOutcome, ToolFailure } from './output';
import { fsErrorText, resolveReadable, errnoCode } from './paths';
import type { ReadInput } from './schemas';

export const READ_MAX_LINES = 2000;
export const READ_MAX_BYTES = 256 * 1024;
export const READ_MAX_LINE_CHARS = 2000;
/** Raw size whose base64 stays under the Messages API's 5 MB image limit. */
export const READ_MAX_IMAGE_BYTES = 3_750_000;
// Counting the lines of a huge file after the shown part costs time; past this the total is left open.
const COUNT_SCAN_BYTES = 64 * 1024 * 1024;
const CHUNK_BYTES = 64 * 1024;
const SNIFF_BYTES = 8192;

export function numberLine(n: number, text: string): string {
  return `${String(n).padStart(6)}\t${text}`;
}

function imageType(head: Buffer): string | null {
  if (head.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'image/jpeg';
  const ascii = head.subarray(0, 12).toString('latin1');
  if (ascii.startsWith('GIF87a') || ascii.startsWith('GIF89a')) return 'image/gif';
  if (ascii.startsWith('RIFF') && ascii.slice(8, 12) === 'WEBP') return 'image/webp';
  return null;
}

interface Line {
  /** At most `keepBytes` bytes of the line, without its newline. */
  bytes: Buffer;
  length: number;
}

async function* readLines(fh: FileHandle, keepBytes: number): AsyncGenerator<Line> {
  let parts: Buffer[] = [];
  let kept = 0;
  let length = 0;
  let offset = 0;
  const chunk = Buffer.alloc(CHUNK_BYTES);
  for (;;) {
    const { bytesRead } = await fh.read(chunk, 0, CHUNK_BYTES, offset);
    if (bytesRead === 0) break;
    offset += bytesRead;
    const data = chunk.subarray(0, bytesRead);
    let pos = 0;
    for (;;) {
      const nl = data.indexOf(0x0a, pos);
      const seg = data.subarray(pos, nl < 0 ? data.length : nl);
      if (kept < keepBytes) {
        const take = Buffer.from(seg.subarray(0, keepBytes - kept));
        parts.push(take);
        kept += take.length;
      }
      length += seg.length;
      if (nl < 0) break;
      yield { bytes: Buffer.concat(parts), length };
      parts = [];
      kept = 0;
      length = 0;
      pos = nl + 1;
    }
  }
  if (length > 0) yield { bytes: Buffer.concat(parts), length };
}

function showLine(line: Line): { text: string; valid: boolean } {
  const valid = isUtf8(line.bytes, line.length > line.bytes.length);
  let text = line.bytes.toString('utf8');
  if (text.endsWith('\r')) text = text.slice(0, -1);
  if (text.length > READ_MAX_LINE_CHARS || line.length > line.bytes.length) {
    text = `${text.slice(0, READ_MAX_LINE_CHARS)} [… line cut; ${line.length} bytes in total]`;
  }
  return { text, valid };
}

export async function runRead(root: string, input: ReadInput, readOnlyRoots: readonly string[] = []): Promise<ToolOutcome> {
  const { abs, rel } = await resolveReadable(root, readOnlyRoots, input.file_path);
  const st = await stat(abs).catch((err: unknown) => {
    const hint = errnoCode(err) === 'ENOENT' ? '; use glob to find files' : '';
    throw new ToolFailure(fsErrorText(err, rel) + hint);
  });
  if (st.isDirectory()) throw new ToolFailure(`${rel} is a directory; use glob (e.g. pattern "*" with path "${rel}") to list it`);
  if (!st.isFile()) throw new ToolFailure(`${rel} is not a regular file (a device, FIFO or socket); read only reads files`);

  const fh = await open(abs, 'r').catch((err: unknown) => {
    throw new ToolFailure(fsErrorText(err, rel));
  });
  try {
    const sniff = Buffer.alloc(Math.min(SNIFF_BYTES, st.size));
    await fh.read(sniff, 0, sniff.length, 0);
    const media = imageType(sniff);
    if (media) {
      if (st.size > READ_MAX_IMAGE_BYTES) {
        throw new ToolFailure(`${rel} is an image of ${formatBytes(st.size)}, over the ${formatBytes(READ_MAX_IMAGE_BYTES)} limit for images`);
      }
      const data = await fh.readFile();
      return {
        content: [
          { type: 'text', text: `${rel}: ${media}, ${formatBytes(st.size)}` },
          { type: 'image', source: { type: 'base64', media_type: media, data: data.toString('base64') } },
        ],
        is_error: false,
      };
    }
    if (hasNul(sniff)) {
      throw new ToolFailure(
        `${rel} is a binary file (${formatBytes(st.size)}); read only shows text. Inspect it with bash, e.g. ` +
          `\`file ${rel}\` or \`xxd ${rel} | head -50\``,
      );
    }
    return textOutcome(await numberedLines(fh, rel, input.view_range));
  } finally {
    await fh.close();
  }
}

async function numberedLines(fh: FileHandle, rel: string, range: ReadInput['view_range']): Promise<string> {
  const start = range?.[0] ?? 1;
  const end = range && (range[1] as number) > 0 ? (range[1] as number) : Infinity;
  const out: string[] = [];
  let bytes = 0;
  let lineNo = 0;
  let lastShown = 0;
  let invalid = false;
  let complete = true;
  for await (const line of readLines(fh, READ_MAX_LINE_CHARS * 4)) {
    lineNo++;
    if (lineNo < start) continue;
    if (lineNo > end) break;
    const shown = showLine(line);
    const numbered = numberLine(lineNo, shown.text);
    const size = Buffer.byteLength(numbered) + 1;
    if (out.length >= READ_MAX_LINES || (out.length > 0 && bytes + size > READ_MAX_BYTES)) {
      complete = false;
      break;
    }
    out.push(numbered);
    bytes += size;
    lastShown = lineNo;
    invalid ||= !shown.valid;
  }
  if (lineNo === 0 && start === 1) return `[${rel} is empty]`;
  if (out.length === 0) throw new ToolFailure(`${rel} has ${lineNo} lines; view_range starts at line ${start}`);
  const notes: string[] = [];
  if (invalid) notes.push('[the file is not valid UTF-8; undecodable bytes are shown as U+FFFD]');
  if (!complete) {
    const total = await countLines(fh);
    const of = total === null ? 'more' : `${total}`;
    const next = lastShown + 1;
    const wanted = end === Infinity ? next + READ_MAX_LINES - 1 : Math.min(end, next + READ_MAX_LINES - 1);
    notes.push(`[showing lines ${start}-${lastShown} of ${of}; call read with view_range [${next}, ${wanted}] to continue]`);
  }
  return [...out, ...notes].join('\n');
}

async function countLines(fh: FileHandle): Promise<number | null> {
  const size = (await fh.stat()).size;
  if (size > COUNT_SCAN_BYTES) return null;
  let count = 0;
  for await (const _line of readLines(fh, 0)) count++;
  return count;
}
