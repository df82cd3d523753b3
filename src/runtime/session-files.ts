import { chmod, link, lstat, mkdir, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import * as z from 'zod';
import { SESSION_OUTPUTS_DIR, type FileMetadata, type FileResource, type ResourceParams } from '../wire';
import { isErrno, writeFileAtomic } from '../log/fsutil';
import { readJsonFile } from '../log/json-file';
import type { SandboxMount } from '../sandbox/types';
import { damaged, invalid } from './errors';
import { fileResources } from './file-resources';
import type { FileStore } from './files';
import { readRecord, type SessionRecord } from './session-record';

type FileParams = Extract<ResourceParams, { type: 'file' }>;

// A session's side of the Files API, in its directory:
//   uploads/<file_id>   its file resources, hard-linked from the store when the session is made, so deleting the file
//                       later does not take it from the session (and deleting the session frees it)
//   outputs/            bound (Docker) or linked (local) at /mnt/session/outputs; what the agent leaves there is
//                       captured into the Files API, scoped to the session, after each idle
//   outputs.json        what was captured: path → size, mtime and file id, so an unchanged file is not captured twice
//                       and a changed one replaces its earlier capture

const Captured = z.record(z.string(), z.object({ size: z.number(), mtimeMs: z.number(), file_id: z.string() }));
type Captured = z.infer<typeof Captured>;

/** Files under outputs/ a capture looks at, at most (a runaway loop writing millions of files is cut off here). */
const MAX_OUTPUTS = 1000;

export class SessionFiles {
  private readonly capturing = new Map<string, Promise<FileMetadata[]>>();
  private readonly captured = new Set<(sessionId: string) => void>();

  constructor(
    private readonly files: FileStore,
    private readonly sessionsDir: string,
  ) {}

  private dir(sessionId: string): string {
    return path.join(this.sessionsDir, sessionId);
  }

  /** The `file` resources of a session being created, checked (see file-resources.ts). */
  resources(params: readonly ResourceParams[], now: string): Promise<FileResource[]> {
    return fileResources(this.files, params, now);
  }

  /** A `file` resource added to a live session (resources.add), checked against the files it mounts already. */
  async added(record: SessionRecord, params: FileParams, now: string): Promise<{ resource: FileResource; filename: string }> {
    const existing = record.resources.filter((r): r is FileResource => r.type === 'file');
    const [resource] = await fileResources(this.files, [params], now, existing, () => 'resource');
    return { resource: resource!, filename: (await this.files.retrieve(resource!.file_id)).filename };
  }

  /** A file's metadata and where its bytes are (an outcome's rubric file is read from there). */
  content(fileId: string): Promise<{ metadata: FileMetadata; path: string }> {
    return this.files.content(fileId);
  }

  /** The host file a file resource of the session mounts. */
  mountOf(sessionId: string, r: FileResource): SandboxMount {
    return { source: path.join(this.dir(sessionId), 'uploads', r.file_id), target: r.mount_path };
  }

  /** Links the session's file resources into its directory (done at creation; again when a crash cut that short). */
  async linkUploads(record: SessionRecord): Promise<void> {
    const uploads = path.join(this.dir(record.id), 'uploads');
    for (const r of record.resources) {
      if (r.type !== 'file') continue;
      const at = path.join(uploads, r.file_id);
      if (await lstat(at).catch(() => null)) continue;
      await mkdir(uploads, { recursive: true });
      try {
        await link(this.files.blobPath(r.file_id), at);
      } catch (err) {
        if (isErrno(err, 'ENOENT')) throw invalid(`File ${r.file_id}, mounted by session ${record.id}, was deleted before the session could keep a copy; create the session again with a file that exists.`);
        throw err;
      }
    }
  }

  /** What the sandbox mounts: the file resources read-only, and the outputs directory (writable by any sandbox user). */
  async provisionSpec(record: SessionRecord): Promise<{ mounts: SandboxMount[]; outputsDir: string }> {
    // The record as it is now: a file added since the session was woken is mounted too.
    const current = (await readRecord(this.dir(record.id))) ?? record;
    await this.linkUploads(current);
    const outputsDir = path.join(this.dir(record.id), 'outputs');
    await mkdir(outputsDir, { recursive: true });
    // The container's user is not the host's: the directory is the one host path it may write.
    await chmod(outputsDir, 0o777);
    const mounts = current.resources.flatMap((r) => (r.type === 'file' ? [this.mountOf(record.id, r)] : []));
    return { mounts, outputsDir };
  }

  /** Calls `listener` after a capture took new or changed outputs of a session; returns the unsubscribe. */
  onCaptured(listener: (sessionId: string) => void): () => void {
    this.captured.add(listener);
    return () => this.captured.delete(listener);
  }

  /** Captures new and changed outputs (one capture per session at a time); the files captured now. */
  capture(sessionId: string): Promise<FileMetadata[]> {
    const previous = this.capturing.get(sessionId) ?? Promise.resolve([]);
    const next = previous.catch(() => []).then(async () => {
      const made = await this.captureNow(sessionId);
      if (made.length > 0) for (const l of this.captured) l(sessionId);
      return made;
    });
    this.capturing.set(sessionId, next);
    void next.finally(() => {
      if (this.capturing.get(sessionId) === next) this.capturing.delete(sessionId);
    }).catch(() => undefined);
    return next;
  }

  private async captureNow(sessionId: string): Promise<FileMetadata[]> {
    const root = path.join(this.dir(sessionId), 'outputs');
    if (!(await stat(root).catch(() => null))) return [];
    const ledgerFile = path.join(this.dir(sessionId), 'outputs.json');
    const ledger: Captured = (await readJsonFile(ledgerFile, Captured, (m) => damaged(`Session ${sessionId}'s outputs.json is damaged: ${m}. Remove it; outputs are captured again.`))) ?? {};
    const made: FileMetadata[] = [];
    for (const rel of await regularFiles(root)) {
      const full = path.join(root, rel);
      const st = await lstat(full).catch(() => null);
      if (!st?.isFile()) continue;
      const seen = ledger[rel];
      if (seen && seen.size === st.size && seen.mtimeMs === st.mtimeMs) continue;
      // Over the limit: left out, as an upload of it would be refused.
      if (st.size > this.files.maxBytes) continue;
      // One file that cannot be read (the agent made it unreadable, or swapped it for a link) does not stop the rest.
      const meta = await this.files.importFile(full, { filename: path.basename(rel), scope: { type: 'session', id: sessionId } }).catch(() => null);
      if (!meta) continue;
      if (seen) await this.files.delete(seen.file_id).catch(() => undefined);
      ledger[rel] = { size: st.size, mtimeMs: st.mtimeMs, file_id: meta.id };
      made.push(meta);
      await writeFileAtomic(ledgerFile, JSON.stringify(ledger));
    }
    return made;
  }
}

/**
 * What the model is told about the session's files (after the environment note): where its file resources are and
 * where to leave files for the user. `where` maps a sandbox path to the path the session's commands use.
 */
export function filesNote(record: SessionRecord, where: (target: string) => string): string {
  const uploads = record.resources.flatMap((r) => (r.type === 'file' ? [`${where(r.mount_path)} (${r.file_id})`] : []));
  const mounted = uploads.length === 0 ? '' : ` The user attached ${uploads.length === 1 ? 'a file' : `${uploads.length} files`}, read-only (read with bash): ${uploads.join(', ')}.`;
  return `${mounted} Files you write to ${where(SESSION_OUTPUTS_DIR)} are handed to the user as the session's outputs when your turn ends.`;
}

/** What the model is told, with its next user turn, about a file attached to the live session. */
export function attachedNote(filename: string, r: FileResource, where: string): string {
  return `[The user attached the file ${filename} (${r.file_id}) to this session: it is at ${where}, read-only (read it with bash).]`;
}

/** Paths of the regular files under `root` (symbolic links are not followed: they could point anywhere on the host). */
async function regularFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    const entries = await readdir(path.join(root, rel), { withFileTypes: true }).catch(() => []);
    for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      if (out.length >= MAX_OUTPUTS) return;
      const p = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) out.push(p);
    }
  };
  await walk('');
  return out;
}
