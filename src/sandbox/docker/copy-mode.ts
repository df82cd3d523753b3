import fsp from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pack, type Pack } from 'tar-stream';
import { listRepository } from '../repo/listing';
import { isRepoPath } from '../repo/paths';
import type { Container } from './client';
import { WORKSPACE } from './container';
import type { Owner } from './snapshot';
import { blobId, gitMode, type TreeEntry } from './tree-diff';

// Copy mode, for engines that cannot mount a host-path overlay (Docker Desktop's VM, rootless or remote engines):
// the repository is streamed as tar into a plain named volume. The baseline changes() and review use is recorded on
// the host afterwards (copy-baseline.ts), which also puts the agent's clone in /workspace/.git. The copy hashes what it
// sends as git blobs (the bytes are in memory anyway), so the baseline need not hash every file again.

/** Files read ahead of the one being packed, so reads overlap the engine's unpacking. */
const READ_AHEAD = 32;
/** Tar entries the engine may not have taken yet: enough to keep it busy, bounded so memory stays flat. */
const MAX_UNSENT_ENTRIES = 256;
const MAX_UNSENT_BYTES = 32 * 1024 * 1024;

interface RepoFile {
  rel: string;
  mode: number;
  mtime: Date;
  /** Symlink target, or null for a regular file. */
  link: string | null;
  content: Buffer | null;
}

/** A regular file or symlink of the repository, or null when it is neither (or vanished since the listing). */
async function readRepoFile(repoPath: string, rel: string): Promise<RepoFile | null> {
  const abs = path.join(repoPath, rel);
  const st = await fsp.lstat(abs).catch(() => null);
  if (st?.isSymbolicLink()) return { rel, mode: st.mode, mtime: st.mtime, link: await fsp.readlink(abs), content: null };
  if (!st?.isFile()) return null;
  const content = await fsp.readFile(abs).catch(() => null);
  return content && { rel, mode: st.mode, mtime: st.mtime, link: null, content };
}

async function* readRepository(repoPath: string, files: readonly string[]): AsyncGenerator<RepoFile> {
  const pending: Promise<RepoFile | null>[] = [];
  let next = 0;
  while (next < files.length || pending.length > 0) {
    while (next < files.length && pending.length < READ_AHEAD) pending.push(readRepoFile(repoPath, files[next++] as string));
    const file = await (pending.shift() as Promise<RepoFile | null>);
    if (file) yield file;
  }
}

function addEntry(archive: Pack, file: RepoFile, owner: Owner): Promise<void> {
  const base = { name: file.rel, mode: file.mode & 0o777, mtime: file.mtime, uid: owner.uid, gid: owner.gid };
  return new Promise((resolve, reject) => {
    const done = (e?: Error | null) => (e ? reject(e) : resolve());
    if (file.link !== null) archive.entry({ ...base, type: 'symlink', linkname: file.link }, done);
    else archive.entry({ ...base, size: (file.content as Buffer).length }, file.content as Buffer, done);
  });
}

/** The git entry of a file as it went into the tar (raw bytes, no filters: as copy-baseline's scan hashes them). */
function entryOf(file: RepoFile): TreeEntry {
  const bytes = file.link !== null ? Buffer.from(file.link) : (file.content as Buffer);
  return { path: file.rel, mode: gitMode(file.link !== null ? 'l' : 'f', file.mode), sha: blobId(bytes) };
}

/**
 * Streams the repository's files into /workspace, owned by the sandbox user. Returns the git entry of each file it
 * sent (path, mode, blob id of the bytes sent). Files are
 * read ahead and packed without waiting for the engine to take each entry (up to a bound): waiting file by file
 * left the engine idle between entries.
 */
export async function seedWorkspace(container: Container, repoPath: string, owner: Owner, onProgress?: (m: string) => void): Promise<TreeEntry[]> {
  const files = (await listRepository(repoPath)).files.filter(isRepoPath);
  const archive = pack();
  const written = (async () => {
    // Directories first and explicitly: ones the engine makes on its own would belong to root.
    const dirs = new Set<string>();
    for (const rel of files) for (let d = path.posix.dirname(rel); d !== '.'; d = path.posix.dirname(d)) dirs.add(d);
    for (const d of [...dirs].sort()) archive.entry({ name: `${d}/`, type: 'directory', mode: 0o755, uid: owner.uid, gid: owner.gid });
    const unsent: { taken: Promise<void>; size: number }[] = [];
    let bytes = 0;
    const sent: TreeEntry[] = [];
    for await (const file of readRepository(repoPath, files)) {
      const size = file.content?.length ?? 0;
      sent.push(entryOf(file));
      unsent.push({ taken: addEntry(archive, file, owner), size });
      bytes += size;
      while (unsent.length > MAX_UNSENT_ENTRIES || bytes > MAX_UNSENT_BYTES) {
        const first = unsent.shift() as { taken: Promise<void>; size: number };
        bytes -= first.size;
        await first.taken;
      }
      if (sent.length % 1000 === 0) onProgress?.(`Copying the repository into the sandbox: ${sent.length} of ${files.length} files`);
    }
    await Promise.all(unsent.map((u) => u.taken));
    archive.finalize();
    return sent;
  })();
  // A failed read must end the archive, or the engine would wait for the rest of it.
  written.catch((err: unknown) => archive.destroy(err as Error));
  await container.putArchive(Readable.from(archive), { path: WORKSPACE });
  return written;
}
