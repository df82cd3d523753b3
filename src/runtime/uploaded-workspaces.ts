import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat, symlink } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { extract, type Header } from 'tar-stream';
import { isErrno, mkdirDurable } from '../log/fsutil';
import { git, isolatedGitEnv } from '../sandbox/repo/git';
import { isRepoPath } from '../sandbox/repo/paths';
import { HISTORY_BUNDLE_ENTRY, HISTORY_DELETED_ENTRY, HISTORY_SHALLOW_ENTRY, HistoryError, restoreHistory } from '../sandbox/repo/workspace-history';
import type { LocalRepositoryResource, ResourceParams, SessionResource } from '../wire';
import type { WorkspaceUpload } from '../wire/workspace';
import { invalid } from './errors';
import type { FileStore } from './files';
import { UploadClaims } from './upload-claims';

// Workspaces shipped by clients on other machines (issue #15 §2): a gzipped tar in the Files API, listed the way the
// client's git lists it (tracked plus untracked-but-not-ignored files), and the client's recent git history when it
// has one (sandbox/repo/workspace-history.ts). Unpacked once per upload into `<storage>/workspaces/<file_id>/`, which
// becomes the session's repository: a git work tree whose index is exactly those files, so every provider's listing
// (git's) holds what the client sent, ignored-but-tracked files included, and whose HEAD is the client's commit and
// branch (without history: one commit of the files). The directory is only read afterwards (the sandbox works on a
// copy), so sessions started from the same upload (best-of-N) share it.

/** What an archive may unpack to at most: a gzip bomb is stopped here, not when the disk is full. */
export const MAX_UNPACKED_BYTES = 8 * 1024 * 1024 * 1024;
const MAX_ENTRIES = 1_000_000;

type LocalRepositoryParams = Extract<ResourceParams, { type: 'local_repository' }>;

export class UploadedWorkspaces {
  private readonly unpacking = new Map<string, Promise<string>>();
  private readonly claims: UploadClaims;

  constructor(
    private readonly root: string,
    private readonly files: FileStore,
    private readonly maxUnpackedBytes = MAX_UNPACKED_BYTES,
  ) {
    this.claims = new UploadClaims(root);
  }

  /**
   * Runs `create` (a session's creation or fork, which ends by storing its record) with the upload its resources name
   * claimed, so a removal in any process meanwhile keeps the unpacked copy (upload-claims.ts).
   */
  whileClaimed<T>(resources: readonly (ResourceParams | SessionResource)[], create: () => Promise<T>): Promise<T> {
    const fileId = uploadOf(resources)?.file_id;
    return fileId && FILE_ID.test(fileId) ? this.claims.whileClaimed(fileId, create) : create();
  }

  /** The session's local_repository resource: the directory as given, or the upload unpacked on this machine. */
  async resource(r: LocalRepositoryParams, id: string, now: string): Promise<LocalRepositoryResource> {
    const mount_path = r.mount_path ?? '/workspace';
    if (!r.upload) {
      const repo = path.resolve(r.path);
      const st = await stat(repo).catch(() => null);
      if (!st?.isDirectory()) throw invalid(`resources[].path ${r.path} is not a directory on this machine.`);
      return { id, type: 'local_repository', path: repo, mount_path, created_at: now, updated_at: now };
    }
    const dir = await this.directory(r.upload);
    return { id, type: 'local_repository', path: dir, mount_path, upload: { ...r.upload, client_path: r.path }, created_at: now, updated_at: now };
  }

  /** The upload's files as a directory of this machine, unpacked on first use (two sessions at once share one unpack). */
  directory(upload: WorkspaceUpload): Promise<string> {
    let dir = this.unpacking.get(upload.file_id);
    if (!dir) {
      dir = this.unpack(upload);
      this.unpacking.set(upload.file_id, dir);
      const settled = () => this.unpacking.delete(upload.file_id);
      dir.then(settled, settled);
    }
    return dir;
  }

  /**
   * Removes the unpacked copy of a deleted session's upload once no stored session names it (`inUse` looks) and no
   * creation in any process claims it, so a runtime that serves other machines does not keep every workspace ever
   * sent. The copy is moved aside under the upload's lock and deleted after; the uploaded archive itself is a Files
   * API file, deleted through that API.
   */
  async release(resources: readonly SessionResource[], inUse: (fileId: string) => Promise<boolean>): Promise<void> {
    const upload = uploadOf(resources);
    if (!upload || !FILE_ID.test(upload.file_id)) return;
    const target = path.join(this.root, upload.file_id);
    const aside = leftoverName('removing');
    // Claimed while it exists, so a start's sweep removes it only when this process died before finishing.
    await this.claims.whileClaimed(aside, async () => {
      const to = path.join(this.root, aside);
      const moved = await this.claims.unlessClaimed(upload.file_id, async () => {
        if (await inUse(upload.file_id)) return false;
        return rename(target, to).then(() => true, (err: unknown) => (isErrno(err, 'ENOENT') ? false : Promise.reject(err)));
      });
      if (moved) await rm(to, { recursive: true, force: true });
    });
  }

  /**
   * Removes what a runtime killed mid-way left: a copy being unpacked (`.unpacking-*`) or being removed
   * (`.removing-*`), each claimed by its process while it exists, so only those whose process is gone are taken; and
   * the claims and locks of dead processes (a creation killed before its record was stored).
   */
  async sweep(): Promise<void> {
    const names = await readdir(this.root).catch((err: unknown) => (isErrno(err, 'ENOENT') ? [] : Promise.reject(err)));
    const claimed = names.map((n) => CLAIM_OR_LOCK.exec(n)?.[1]).filter((n): n is string => n !== undefined && (LEFTOVER.test(n) || FILE_ID.test(n)));
    const keys = new Set([...names.filter((n) => LEFTOVER.test(n)), ...claimed]);
    for (const key of keys) {
      // Checking the claims drops a dead process's in passing; a leftover folder goes too once none is live.
      await this.claims.unlessClaimed(key, async () => {
        if (LEFTOVER.test(key)) await rm(path.join(this.root, key), { recursive: true, force: true });
      });
    }
  }

  private async unpack(upload: WorkspaceUpload): Promise<string> {
    if (!FILE_ID.test(upload.file_id)) throw invalid(`upload.file_id ${JSON.stringify(upload.file_id)} is not a file id (file_…).`);
    const { metadata, path: blob } = await this.files.content(upload.file_id);
    // Checked on every use, not only the first unpack: each client vouches for the archive it names.
    const sha = await sha256Of(blob);
    if (sha !== upload.sha256) {
      throw invalid(`The workspace archive ${upload.file_id} (${metadata.size_bytes} bytes) is not the one the client made: its SHA-256 is ${sha}, the client's ${upload.sha256}. The upload was cut off or changed on the way; upload the workspace again.`, 'workspace_upload_damaged');
    }
    const target = path.join(this.root, upload.file_id);
    if (await stat(target).then(() => true, () => false)) return target;
    await mkdirDurable(this.root);
    const name = leftoverName('unpacking');
    return this.claims.whileClaimed(name, () => this.unpackInto(path.join(this.root, name), blob, upload, target));
  }

  private async unpackInto(staging: string, blob: string, upload: WorkspaceUpload, target: string): Promise<string> {
    try {
      const damaged = (err: unknown) => {
        if (err instanceof ArchiveError || err instanceof HistoryError) throw invalid(`The workspace archive ${upload.file_id} cannot be used: ${err.message}. Upload the workspace again with a current Hangar.`, 'workspace_upload_damaged');
        throw err;
      };
      const { files, history } = await unpackArchive(blob, staging, this.maxUnpackedBytes).catch(damaged);
      if (history) await restoreHistory(staging, files).catch(damaged);
      else await commitFiles(staging, files);
      await rename(staging, target).catch(async (err: unknown) => {
        // Another process unpacked the same upload first: theirs is the same files.
        if (!isErrno(err, 'ENOTEMPTY', 'EEXIST')) throw err;
        await rm(staging, { recursive: true, force: true });
      });
      return target;
    } catch (err) {
      await rm(staging, { recursive: true, force: true });
      throw err;
    }
  }
}

const FILE_ID = /^file_[0-9A-Za-z]+$/;
const LEFTOVER = /^\.(?:unpacking|removing)-[0-9a-f]{12}$/;
const CLAIM_OR_LOCK = /^(.+)\.(?:claim-[0-9a-f]{16}|lock)$/;

function leftoverName(what: 'unpacking' | 'removing'): string {
  return `.${what}-${randomBytes(6).toString('hex')}`;
}

/** The upload a session's (or a creation request's) workspace resource names. */
function uploadOf(resources: readonly (ResourceParams | SessionResource)[]): WorkspaceUpload | undefined {
  for (const r of resources) if (r.type === 'local_repository' && r.upload) return r.upload;
  return undefined;
}

class ArchiveError extends Error {}

async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

const HISTORY_ENTRIES = new Set([HISTORY_BUNDLE_ENTRY, HISTORY_SHALLOW_ENTRY, HISTORY_DELETED_ENTRY]);

/**
 * Unpacks regular files and symlinks (nothing else: no devices, hard links or absolute paths) under `dir`, each at a
 * repository path no symlink of the archive leads through, and the history entries at their names in `dir/.git/`.
 * Returns the repository paths written, and whether a history bundle came.
 */
async function unpackArchive(archive: string, dir: string, maxBytes: number): Promise<{ files: string[]; history: boolean }> {
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  let history = false;
  const links: string[] = [];
  let bytes = 0;
  const untar = extract();
  untar.on('entry', (header: Header, stream, next) => {
    const name = header.name.replace(/\/+$/, '');
    const done = (err?: unknown) => (err ? untar.destroy(err instanceof Error ? err : new Error(String(err))) : next());
    void (async () => {
      if (header.type === 'directory') return stream.resume();
      const historyEntry = HISTORY_ENTRIES.has(name) && header.type === 'file';
      if (!historyEntry && !isRepoPath(name)) throw new ArchiveError(`it holds ${JSON.stringify(header.name)}, which is not a path inside a workspace`);
      if (links.some((l) => name.startsWith(`${l}/`))) throw new ArchiveError(`${name} lies under the symbolic link ${links.find((l) => name.startsWith(`${l}/`))}`);
      if (written.length >= MAX_ENTRIES) throw new ArchiveError(`it holds more than ${MAX_ENTRIES} files`);
      const to = path.join(dir, name);
      await mkdir(path.dirname(to), { recursive: true });
      if (header.type === 'symlink') {
        stream.resume();
        await symlink(header.linkname ?? '', to);
        links.push(name);
      } else if (header.type === 'file') {
        bytes += header.size ?? 0;
        if (bytes > maxBytes) throw new ArchiveError(`its files come to more than ${Math.round(maxBytes / 1024 ** 3)} GiB unpacked`);
        await pipeline(stream, createWriteStream(to, { flags: 'wx', mode: (header.mode ?? 0o644) & 0o111 ? 0o755 : 0o644 }));
        if (historyEntry) {
          history ||= name === HISTORY_BUNDLE_ENTRY;
          return;
        }
      } else {
        throw new ArchiveError(`${name} is a ${header.type ?? 'special'} entry; a workspace archive holds files and symbolic links`);
      }
      written.push(name);
    })().then(() => done(), done);
  });
  try {
    await pipeline(createReadStream(archive), createGunzip(), untar);
  } catch (err) {
    if (err instanceof ArchiveError) throw err;
    // zlib's and tar-stream's own words: a truncated gzip stream, a bad header.
    throw new ArchiveError(err instanceof Error ? err.message : String(err));
  }
  return { files: written, history };
}

/** The unpacked files as one commit, so the repository's listing (git ls-files) is exactly them. */
async function commitFiles(dir: string, files: readonly string[]): Promise<void> {
  const env = isolatedGitEnv({});
  await git(['init', '-q'], { cwd: dir, env });
  const list = Buffer.from(files.map((f) => `${f}\0`).join(''), 'utf8');
  if (files.length > 0) await git(['add', '-f', '--pathspec-from-file=-', '--pathspec-file-nul'], { cwd: dir, env, input: list });
  await git(['commit', '-q', '--no-verify', '--allow-empty', '-m', 'The workspace as its client uploaded it'], { cwd: dir, env });
}
