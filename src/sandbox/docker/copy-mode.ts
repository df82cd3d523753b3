import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { listRepository, type RepoListing } from '../repo/listing';
import { isRepoPath } from '../repo/paths';
import { isEmptyDir } from './archive';
import type { Container } from './client';
import { WORKSPACE } from './container';
import { agentGitEntries, type AgentGitDir } from './copy-agent-git';
import type { Owner } from './snapshot';
import { tarChunks, type TarEntry } from './tar-writer';
import { blobId, gitMode, type TreeEntry } from './tree-diff';

// Copy mode, for engines that cannot mount a host-path overlay (Docker Desktop's VM, rootless or remote engines):
// the repository is streamed as tar into a plain named volume. The baseline changes() and review use is recorded on
// the host afterwards (copy-seed.ts, copy-baseline.ts), which also puts the agent's clone in /workspace/.git. The
// copy hashes what it sends as git blobs (the bytes are in memory anyway), so the baseline need not hash every file
// again.

/** Files read between two turns of the event loop. */
const READ_BATCH = 64;
const READ_BATCH_BYTES = 4 * 1024 * 1024;
const SYNC_READ_MAX = 256 * 1024;

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
  try {
    const st = fs.lstatSync(abs);
    if (st.isSymbolicLink()) return { rel, mode: st.mode, mtime: st.mtime, link: fs.readlinkSync(abs), content: null };
    if (!st.isFile()) return null;
    // A big file is read off the event loop: it would hold it for as long as the whole batch of small ones.
    const content = st.size > SYNC_READ_MAX ? await fsp.readFile(abs) : fs.readFileSync(abs);
    return { rel, mode: st.mode, mtime: st.mtime, link: null, content };
  } catch {
    return null;
  }
}

/**
 * The files, read a batch at a time with synchronous calls (a tenth of the threadpool's cost per small file), the
 * event loop let go between batches; a batch ends early once it holds a few MB.
 */
async function* readRepository(repoPath: string, files: readonly string[]): AsyncGenerator<RepoFile> {
  let next = 0;
  while (next < files.length) {
    let bytes = 0;
    for (const end = Math.min(files.length, next + READ_BATCH); next < end && bytes < READ_BATCH_BYTES; ) {
      const file = await readRepoFile(repoPath, files[next++] as string);
      if (!file) continue;
      bytes += file.content?.length ?? 0;
      yield file;
    }
    await new Promise<void>((r) => setImmediate(r));
  }
}

/** The git entry of a file as it went into the tar (raw bytes, no filters: as copy-baseline's scan hashes them). */
function entryOf(file: RepoFile): TreeEntry {
  const bytes = file.link !== null ? Buffer.from(file.link) : (file.content as Buffer);
  return { path: file.rel, mode: gitMode(file.link !== null ? 'l' : 'f', file.mode), sha: blobId(bytes) };
}

/** The repository's tar entries; `sent` gets the git entry of each file as it goes in. */
async function* repositoryEntries(repoPath: string, files: readonly string[], owner: Owner, sent: TreeEntry[], onProgress?: (m: string) => void): AsyncGenerator<TarEntry> {
  const ids = { uid: owner.uid, gid: owner.gid };
  // Directories first and explicitly: ones the engine makes on its own would belong to root.
  const dirs = new Set<string>();
  for (const rel of files) for (let d = path.posix.dirname(rel); d !== '.'; d = path.posix.dirname(d)) dirs.add(d);
  const now = new Date();
  for (const d of [...dirs].sort()) yield { name: d, type: 'directory', mode: 0o755, mtime: now, ...ids };
  for await (const file of readRepository(repoPath, files)) {
    sent.push(entryOf(file));
    const base = { name: file.rel, mode: file.mode & 0o777, mtime: file.mtime, ...ids };
    yield file.link !== null ? { ...base, type: 'symlink', linkname: file.link } : { ...base, type: 'file', content: file.content as Buffer };
    if (sent.length % 1000 === 0) onProgress?.(`Copying the repository into the sandbox: ${sent.length} of ${files.length} files`);
  }
}

/** What the copy put in /workspace. */
export interface CopiedFiles {
  /** The git entry of each file sent (path, mode, blob id of the bytes sent). */
  sent: TreeEntry[];
  /** /workspace held nothing before the copy, so it holds exactly `sent` now (and the agent's .git, if `agentGit`). */
  alone: boolean;
  /** The agent's clone went in with the files, as /workspace/.git. */
  agentGit: boolean;
}

/**
 * Streams the repository's files into /workspace, owned by the sandbox user, as one tar. Files are read ahead of
 * the engine taking them. Into an empty volume, the agent's clone (`agentGit`, built meanwhile) follows the files in
 * the same tar: no .git can be there to clear first, and the engine unpacks one archive instead of two. `onRead` is
 * told what goes in once every file is read, while the engine still unpacks them: host work on it (the baseline)
 * need not wait for the engine.
 */
export async function seedWorkspace(
  container: Container,
  repoPath: string,
  owner: Owner,
  onProgress?: (m: string) => void,
  agentGit: Promise<AgentGitDir> | null = null,
  listed: Promise<RepoListing> = listRepository(repoPath),
  onRead?: (copied: CopiedFiles) => void,
): Promise<CopiedFiles> {
  const [listing, alone] = await Promise.all([listed, isEmptyDir(container, WORKSPACE)]);
  const files = listing.files.filter(isRepoPath);
  const sent: TreeEntry[] = [];
  const clone = alone ? agentGit : null;
  const copied: CopiedFiles = { sent, alone, agentGit: clone !== null };
  let failure: unknown = null;
  async function* entries(): AsyncGenerator<TarEntry> {
    try {
      yield* repositoryEntries(repoPath, files, owner, sent, onProgress);
      onRead?.(copied);
      if (clone) yield* agentGitEntries((await clone).gitDir, owner);
    } catch (err) {
      failure = err;
      throw err;
    }
  }
  // The clone's failure is the cause of the upload's, not the broken stream the engine reports.
  await container.putArchive(Readable.from(tarChunks(entries())), { path: WORKSPACE }).catch((err: unknown) => Promise.reject(failure ?? err));
  return copied;
}
