import type { Readable } from 'node:stream';
import { extract, pack } from 'tar-stream';
import type { Container } from './client';
import { isNotFound } from './errors';

// Files into and out of a container through the engine's archive API, as root and without running anything in it:
// this works on a created container before it starts, and whatever user the image names.

export interface ArchiveEntry {
  /** Path from the container's root, without a leading slash; directories end with '/'. */
  name: string;
  mode: number;
  uid: number;
  gid: number;
  /** File content; absent for a directory. */
  content?: string | Buffer;
}

/** Writes `entries` in one archive; missing parent directories are made by the engine (root, 0755). */
export async function writeToContainer(container: Container, entries: readonly ArchiveEntry[]): Promise<void> {
  const p = pack();
  for (const e of entries) {
    if (e.content === undefined) p.entry({ name: e.name, type: 'directory', mode: e.mode, uid: e.uid, gid: e.gid });
    else p.entry({ name: e.name, mode: e.mode, uid: e.uid, gid: e.gid }, e.content);
  }
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const c of p) chunks.push(c as Buffer);
  await container.putArchive(Buffer.concat(chunks), { path: '/' });
}

/** A text file's content, or null when the container has no such file. */
export async function readFromContainer(container: Container, file: string): Promise<string | null> {
  let archive: NodeJS.ReadableStream;
  try {
    archive = await container.getArchive({ path: file });
  } catch (err) {
    if (isNotFound(err)) return null;
    throw err;
  }
  return new Promise<string | null>((resolve, reject) => {
    const ex = extract();
    let text: string | null = null;
    ex.on('entry', (_h, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: unknown) => chunks.push(c as Buffer));
      stream.on('end', () => {
        text ??= Buffer.concat(chunks).toString('utf8');
        next();
      });
      stream.resume();
    });
    ex.on('finish', () => resolve(text));
    ex.on('error', reject);
    archive.pipe(ex);
  });
}

/** Whether the directory `dir` holds nothing: the engine's archive of it is read up to its first entry below `dir`. */
export async function isEmptyDir(container: Container, dir: string): Promise<boolean> {
  const archive = (await container.getArchive({ path: dir })) as Readable;
  return new Promise<boolean>((resolve, reject) => {
    const ex = extract();
    let entries = 0;
    ex.on('entry', (_h, stream, next) => {
      // The first entry is `dir` itself.
      if (++entries > 1) {
        resolve(false);
        archive.destroy();
        ex.destroy();
        return;
      }
      stream.on('end', next);
      stream.resume();
    });
    ex.on('finish', () => resolve(true));
    ex.on('error', reject);
    archive.pipe(ex);
  });
}
