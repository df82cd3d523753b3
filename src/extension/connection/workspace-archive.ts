import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { lstat, mkdtemp, readlink, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { pack } from 'tar-stream';
import { listRepository } from '../../sandbox/repo/listing';

// The workspace as a runtime on another machine gets it (issue #15 §2): the files a sandbox copy holds (git's view,
// `ls-files --cached --others --exclude-standard`, or the plain walk outside git: sandbox/repo/listing.ts) in a
// gzipped tar in a temp file, with its SHA-256 so the runtime can tell a cut-off upload. Everything is streamed
// (async reads, zlib off the main thread), so building it never blocks the extension host.

/** The setting that bounds an upload, named in the refusal. */
export const UPLOAD_LIMIT_SETTING = 'hangar.runtime.maxWorkspaceUploadMB';

export interface WorkspaceArchive {
  file: string;
  sha256: string;
  /** The archive's size (compressed). */
  bytes: number;
  /** Files and symbolic links in it. */
  entries: number;
  /** The files' own bytes. */
  contentBytes: number;
  /** Removes the temp file. */
  dispose(): Promise<void>;
}

export interface ArchiveOptions {
  /** The most the workspace's files may come to, in bytes. */
  maxBytes: number;
  /** Called as files are packed: how many of how many, and their bytes. */
  onProgress?(packed: number, total: number, bytes: number): void;
}

export class WorkspaceTooLargeError extends Error {}

interface Entry {
  name: string;
  size: number;
  mode: number;
  link?: string;
}

export async function archiveWorkspace(dir: string, opts: ArchiveOptions): Promise<WorkspaceArchive> {
  const entries = await entriesOf(dir);
  const contentBytes = entries.reduce((sum, e) => sum + e.size, 0);
  if (contentBytes > opts.maxBytes) {
    throw new WorkspaceTooLargeError(`The workspace ${dir} is ${mb(contentBytes)} MB in ${entries.length} files, over the ${mb(opts.maxBytes)} MB the setting ${UPLOAD_LIMIT_SETTING} allows to upload to a runtime on another machine. Raise that setting, or add what the agent does not need (build output, data) to .gitignore.`);
  }
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'hangar-workspace-'));
  const file = path.join(tmp, `${path.basename(dir) || 'workspace'}.tar.gz`);
  const dispose = () => rm(tmp, { recursive: true, force: true });
  const tar = pack();
  try {
    const hash = createHash('sha256');
    let bytes = 0;
    const counted = new PassThrough();
    counted.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      bytes += chunk.length;
    });
    const written = pipeline(tar, createGzip(), counted, createWriteStream(file, { flags: 'wx', mode: 0o600 }));
    let packed = 0;
    let packedBytes = 0;
    for (const e of entries) {
      if (e.link !== undefined) {
        tar.entry({ name: e.name, type: 'symlink', linkname: e.link, mode: 0o777 });
      } else {
        await new Promise<void>((resolve, reject) => {
          const header = { name: e.name, type: 'file' as const, size: e.size, mode: e.mode };
          const done = (err?: Error | null) => (err ? reject(err) : resolve());
          if (e.size === 0) return void tar.entry(header, '', done);
          // The header promised e.size bytes: a file that grew since is cut there, one that shrank fails the archive.
          createReadStream(path.join(dir, e.name), { end: e.size - 1 }).on('error', reject).pipe(tar.entry(header, done));
        });
      }
      packed += 1;
      packedBytes += e.size;
      opts.onProgress?.(packed, entries.length, packedBytes);
    }
    tar.finalize();
    await written;
    return { file, sha256: hash.digest('hex'), bytes, entries: entries.length, contentBytes, dispose };
  } catch (err) {
    tar.destroy();
    await dispose();
    throw err;
  }
}

/** The listing's regular files and symbolic links (a submodule's directory, or a file deleted since, is left out). */
async function entriesOf(dir: string): Promise<Entry[]> {
  const { files } = await listRepository(dir);
  const out: Entry[] = [];
  for (const name of files.sort()) {
    const full = path.join(dir, name);
    const st = await lstat(full).catch(() => null);
    if (st?.isSymbolicLink()) out.push({ name, size: 0, mode: 0o777, link: await readlink(full) });
    else if (st?.isFile()) out.push({ name, size: st.size, mode: st.mode & 0o111 ? 0o755 : 0o644 });
  }
  return out;
}

function mb(bytes: number): string {
  return (bytes / (1024 * 1024)).toFixed(bytes < 10 * 1024 * 1024 ? 1 : 0);
}

/** A size for progress and errors: KB below a megabyte, MB above. */
export function formatSize(bytes: number): string {
  return bytes < 1024 * 1024 ? `${Math.ceil(bytes / 1024)} KB` : `${mb(bytes)} MB`;
}
