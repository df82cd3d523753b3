import { nowIso, type FileResource, type FileResourceParams, type SessionEvent } from '../wire';
import { invalid } from './errors';
import { attachedNote, type SessionFiles } from './session-files';
import { writeRecord, type SessionRecord } from './session-record';
import type { SessionHost } from './session-host';
import type { SessionService } from './sessions';

// A file attached to a live session (the reference's `resources.add`, `file` only): checked like one given at creation
// (file-resources.ts), recorded, shown in the session's sandbox without restarting it (SandboxProvider.mount; the
// record is put back when that fails), and logged as a `session.updated` whose private part is what the model is told
// with its next user turn (harness/context.ts). Refused before anything changes while another process drives the
// session: its sandbox and log are that process's to change.

export class FileAttachments {
  constructor(
    private readonly sessions: SessionService,
    private readonly host: SessionHost,
    private readonly files: SessionFiles,
    /** Where a sandbox path is for the session's commands (the provider's mountedAt). */
    private readonly mountedAt: (sessionId: string, target: string) => string,
  ) {}

  async add(sessionId: string, params: FileResourceParams): Promise<FileResource> {
    const record = await this.sessions.record(sessionId);
    if (record.archived_at) throw invalid(`Session ${sessionId} is archived and read-only.`);
    if ((await this.sessions.summary(record)).status === 'terminated') throw invalid(`Session ${sessionId} has ended; start a new session with the file.`);
    const { resource, filename } = await this.files.added(record, params, nowIso());
    const active = await this.host.wake(record);
    if (!active) throw invalid(`Session ${sessionId} is being driven by another Hangar process; attach the file there.`);
    const next: SessionRecord = { ...record, resources: [...record.resources, resource], updated_at: nowIso() };
    await this.files.linkUploads(next);
    await writeRecord(this.host.dir(sessionId), next);
    try {
      await this.host.mount(sessionId, this.files.mountOf(sessionId, resource));
    } catch (err) {
      await writeRecord(this.host.dir(sessionId), record);
      throw err;
    }
    const note = attachedNote(filename, resource, this.mountedAt(sessionId, resource.mount_path));
    await active.log.append([{ type: 'session.updated', id: '', processed_at: nowIso(), _hangar: { attached: note } } as SessionEvent], { durable: true });
    return resource;
  }
}
