import path from 'node:path';
import { newId, SESSION_UPLOADS_DIR, type FileResource, type ResourceParams } from '../wire';
import { invalid, RuntimeError } from './errors';
import { isExpired, type FileStore } from './files';

// `file` session resources (reference §7.3): a file of the Files API mounted read-only in the session's sandbox, by
// default at /mnt/session/uploads/<file_id>. Checked when the session is created, so a bad one is refused whole, and
// when one is added to a live session (`existing`: the session's resources, whose mount paths are taken).

type FileParams = Extract<ResourceParams, { type: 'file' }>;

/** The most file resources a session mounts (the hosted API's limit). */
export const MAX_FILE_RESOURCES = 999;

export async function fileResources(
  files: FileStore,
  params: readonly ResourceParams[],
  now: string,
  existing: readonly FileResource[] = [],
  label: (index: number) => string = (i) => `resources[${i}]`,
): Promise<FileResource[]> {
  const out: FileResource[] = [];
  const taken = new Map<string, string>(existing.map((r) => [r.mount_path, r.file_id]));
  const count = existing.length + params.filter((r) => r.type === 'file').length;
  if (count > MAX_FILE_RESOURCES) throw invalid(`A session mounts at most ${MAX_FILE_RESOURCES} files; this one would mount ${count}. Put several files in one archive and upload that.`);
  for (const [i, r] of params.entries()) {
    if (r.type !== 'file') continue;
    const where = label(i);
    const meta = await files.retrieve(r.file_id).catch((err: unknown) => {
      if (err instanceof RuntimeError && err.status === 404) throw invalid(`${where}.file_id ${r.file_id} is not a file of this runtime; upload it first (POST /v1/files) and use the id it returns.`);
      throw err;
    });
    if (meta.scope) {
      throw invalid(`${where}.file_id ${r.file_id} belongs to session ${meta.scope.id} (an output it wrote), and a session's files are not mounted in other sessions; download it and upload it again to use it here.`);
    }
    if (isExpired(meta)) throw invalid(`${where}.file_id ${r.file_id} expired at ${meta.expires_at}; upload it again.`);
    const mount = mountPath(r, where);
    const other = taken.get(mount);
    if (other) throw invalid(`${where} mounts ${r.file_id} at ${mount}, where ${other} is already mounted; give it another mount_path.`);
    taken.set(mount, r.file_id);
    out.push({ id: newId('sesrsc'), type: 'file', file_id: r.file_id, mount_path: mount, created_at: now, updated_at: now });
  }
  return out;
}

function mountPath(r: FileParams, where: string): string {
  if (r.mount_path === undefined) return `${SESSION_UPLOADS_DIR}/${r.file_id}`;
  const p = r.mount_path;
  const normal = path.posix.normalize(p);
  if (!p.startsWith('/') || normal !== p || p.endsWith('/') || p === '/') throw invalid(`${where}.mount_path "${p}" must be an absolute, normalised file path such as ${SESSION_UPLOADS_DIR}/data.csv.`);
  if (normal === '/workspace' || normal.startsWith('/workspace/') || normal.startsWith('/mnt/session/outputs/') || normal.startsWith('/mnt/skills/')) {
    throw invalid(`${where}.mount_path "${p}" is inside a directory the session owns (/workspace, /mnt/session/outputs, /mnt/skills); mount it elsewhere, e.g. under ${SESSION_UPLOADS_DIR}.`);
  }
  return normal;
}
