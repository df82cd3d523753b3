import path from 'node:path';
import { nowIso, type SessionResource } from '../wire';
import { invalid, notFound } from './errors';
import { writeRecord } from './session-record';
import type { SessionService } from './sessions';

// A session's resources: the local repository it works on. Deleting it detaches the repository: the session keeps
// its working copy, but its changes can no longer be reviewed against or applied to that repository.

export class SessionResources {
  constructor(
    private readonly sessionsDir: string,
    private readonly sessions: SessionService,
  ) {}

  async list(sessionId: string): Promise<SessionResource[]> {
    return (await this.sessions.record(sessionId)).resources;
  }

  async retrieve(sessionId: string, resourceId: string): Promise<SessionResource> {
    const found = (await this.list(sessionId)).find((r) => r.id === resourceId);
    if (!found) throw notFound('Session resource', resourceId);
    return found;
  }

  async delete(sessionId: string, resourceId: string): Promise<{ id: string; type: 'session_resource_deleted' }> {
    const record = await this.sessions.record(sessionId);
    if (record.archived_at) throw invalid(`Session ${sessionId} is archived and read-only.`);
    if (!record.resources.some((r) => r.id === resourceId)) throw notFound('Session resource', resourceId);
    await writeRecord(path.join(this.sessionsDir, sessionId), { ...record, resources: record.resources.filter((r) => r.id !== resourceId), updated_at: nowIso() });
    return { id: resourceId, type: 'session_resource_deleted' };
  }
}
