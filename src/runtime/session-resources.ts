import path from 'node:path';
import { nowIso, type SessionResource } from '../wire';
import { invalid, notFound } from './errors';
import { writeRecord } from './session-record';
import type { SessionService } from './sessions';
import type { RepositoryClones } from './repository-resources';

// A session's resources: the local repository it works on, the files it mounts and the repositories cloned for it.
// Deleting the local repository detaches it: the session keeps its working copy, but its changes can no longer be
// reviewed against or applied to it.

/**
 * How a resource is named in resources.retrieve/delete and list cursors: its id, or for a memory store (which has
 * none, as in the hosted API) the store's id, attached at most once per session.
 */
export function resourceKey(r: SessionResource): string {
  return r.type === 'memory_store' ? r.memory_store_id : r.id;
}

export class SessionResources {
  constructor(
    private readonly sessionsDir: string,
    private readonly sessions: SessionService,
    private readonly clones: RepositoryClones,
  ) {}

  async list(sessionId: string): Promise<SessionResource[]> {
    return (await this.sessions.record(sessionId)).resources;
  }

  async retrieve(sessionId: string, resourceId: string): Promise<SessionResource> {
    const found = (await this.list(sessionId)).find((r) => resourceKey(r) === resourceId);
    if (!found) throw notFound('Session resource', resourceId);
    return found;
  }

  /** A new authorization_token for a repository resource (resources.update; reference §2.5). */
  async rotateToken(sessionId: string, resourceId: string, token: string): Promise<SessionResource> {
    const record = await this.sessions.record(sessionId);
    if (record.archived_at) throw invalid(`Session ${sessionId} is archived and read-only.`);
    const resource = record.resources.find((r) => resourceKey(r) === resourceId);
    if (!resource) throw notFound('Session resource', resourceId);
    if (resource.type !== 'github_repository') throw invalid(`Resource ${resourceId} is a ${resource.type} resource, which has no authorization token; only github_repository resources take one.`);
    await this.clones.rotate(record, resource, token);
    const updated = { ...resource, updated_at: nowIso() };
    await writeRecord(path.join(this.sessionsDir, sessionId), { ...record, resources: record.resources.map((r) => (resourceKey(r) === resourceId ? updated : r)), updated_at: updated.updated_at });
    return updated;
  }

  async delete(sessionId: string, resourceId: string): Promise<{ id: string; type: 'session_resource_deleted' }> {
    const record = await this.sessions.record(sessionId);
    if (record.archived_at) throw invalid(`Session ${sessionId} is archived and read-only.`);
    const resource = record.resources.find((r) => resourceKey(r) === resourceId);
    if (!resource) throw notFound('Session resource', resourceId);
    // The sandbox mounts a session's files when it is made; a record without one would say it is gone while it is not.
    if (resource.type === 'file') throw invalid(`Resource ${resourceId} mounts file ${resource.file_id} in the session's sandbox, which keeps it for the session's life; archive or delete the session instead.`);
    if (resource.type === 'memory_store') throw invalid(`Resource ${resourceId} mounts memory store ${resource.memory_store_id} at ${resource.mount_path}, which the session's sandbox keeps for the session's life; archive or delete the session instead.`);
    if (resource.type === 'github_repository') throw invalid(`Resource ${resourceId} is the clone of ${resource.url} at ${resource.mount_path}, which the session's sandbox keeps for the session's life; archive or delete the session instead.`);
    await writeRecord(path.join(this.sessionsDir, sessionId), { ...record, resources: record.resources.filter((r) => resourceKey(r) !== resourceId), updated_at: nowIso() });
    return { id: resourceId, type: 'session_resource_deleted' };
  }
}
