import { randomUUID } from 'node:crypto';
import { lstat, mkdir, open, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { ToolOutcome } from '../wire/tool-outcome';
import { textOutcome, ToolFailure } from './output';
import { errnoCode, fsErrorText, resolveInRoot } from './paths';
import type { WriteInput } from './schemas';

/**
 * Replaces `abs` through a sibling temp file and a rename: a crash never leaves half a file, the rename replaces
 * the directory entry (so a hard link to a file elsewhere is not written through, and a symlink swapped in after
 * the path check is replaced rather than followed), and an existing file keeps its permission bits.
 */
export async function replaceFile(abs: string, rel: string, data: string | Buffer): Promise<'created' | 'overwritten'> {
  const existing = await lstat(abs).catch((err: unknown) => {
    if (errnoCode(err) === 'ENOENT') return null;
    throw new ToolFailure(fsErrorText(err, rel));
  });
  if (existing?.isDirectory()) throw new ToolFailure(`${rel} is a directory; give a file path`);
  if (existing && !existing.isFile()) throw new ToolFailure(`${rel} is not a regular file; refusing to replace it`);
  const tmp = path.join(path.dirname(abs), `.${path.basename(abs)}.hangar-${randomUUID().slice(0, 8)}.tmp`);
  try {
    const fh = await open(tmp, 'wx', 0o666);
    try {
      await fh.writeFile(data);
      if (existing) await fh.chmod(existing.mode & 0o7777);
    } finally {
      await fh.close();
    }
    await rename(tmp, abs);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw new ToolFailure(fsErrorText(err, rel));
  }
  return existing ? 'overwritten' : 'created';
}

export async function runWrite(root: string, input: WriteInput): Promise<ToolOutcome> {
  const { abs, rel } = await resolveInRoot(root, input.file_path);
  await mkdir(path.dirname(abs), { recursive: true }).catch((err: unknown) => {
    throw new ToolFailure(fsErrorText(err, path.dirname(rel)));
  });
  const data = Buffer.from(input.content, 'utf8');
  const how = await replaceFile(abs, rel, data);
  return textOutcome(`Wrote ${data.length} bytes to ${rel} (${how === 'created' ? 'new file' : 'replaced its content'}).`);
}
