import { promises as fsp } from 'node:fs';
import path from 'node:path';
import {
  applyMetadataPatch,
  newId,
  spendOf,
  nowIso,
  type EventParams,
  type ModelCatalog,
  type Session,
  type SessionAgent,
  type SessionCreateParams,
  type SessionEvent,
  type SessionResource,
  type SessionSummary,
  type SessionUpdateParams,
  type StreamPreview,
} from '../wire';
import { readLease, type Page, type SessionLog } from '../log';
import type { AgentStore } from './agents';
import { normalizeTools } from './agents';
import { withMemberTools } from './multiagent';
import { resolveSessionAgent } from './session-agent';
import { checkThreadMessages } from './thread-messages';
import { primaryThreadId, sessionThreads, type SessionThread } from './threads';
import { providerProblem, sandboxEnvironment, type EnvironmentStore } from './environments';
import { localProviderCaveats } from './local-caveats';
import { sessionRepository } from '../wire/session-repository';
import { invalid, notFound, RuntimeError } from './errors';
import { createSessionDir, writeRecord, type SessionRecord } from './session-record';
import type { SessionHost } from './session-host';
import { SessionIndex } from './session-index';
import { listSessions, type SessionListPage, type SessionListQuery } from './session-listing';
import { readSessionRecord, sessionView } from './stored-sessions';
import { withProcessedAt } from './processed-at';
import type { SessionFiles } from './session-files';
import type { SessionSkills } from './session-skills';
import type { SessionMemory } from './session-memory';
import type { UploadedWorkspaces } from './uploaded-workspaces';
import { planRepositories, type RepositoryClones } from './repository-resources';
import { firstEventPage } from './event-page-file';
import { EVENTS_FILE } from '../log/session-log';
import { DEFAULT_LIMIT } from '../log/paging';
import { budgetUpdateProblem, unbudgetableModel } from './session-budget';
import type { WorkspaceChanges, FileSide } from '../sandbox/types';
import { prepareOutcomes } from './outcomes';
import { listCheckpoints } from './checkpoints';
import type { Checkpoint, RewindResult } from '../wire/checkpoint';
import { createFork, type ForkRequest } from './session-fork';

export interface EventListQuery {
  /** Which events the listing is about (a thread's, or the session-level view of a multi-agent session). */
  where?: (e: SessionEvent) => boolean;
  limit?: number;
  page?: string;
  order?: 'asc' | 'desc';
  types?: string[];
  created_at?: { gt?: string; gte?: string; lt?: string; lte?: string };
}

export type { DamagedSession } from './session-index';

export type { SessionListPage, SessionListQuery } from './session-listing';

export class SessionService {
  private readonly index: SessionIndex;

  constructor(
    private readonly dir: string,
    private readonly agents: AgentStore,
    private readonly environments: EnvironmentStore,
    private readonly host: SessionHost,
    private readonly catalog: ModelCatalog,
    private readonly files: SessionFiles,
    private readonly clones: RepositoryClones,
    private readonly skills: SessionSkills,
    private readonly memory: SessionMemory,
    private readonly workspaces: UploadedWorkspaces,
    /** Why a session of this agent cannot start on its models (src/runtime/session-models.ts), or null. */
    private readonly modelProblem: (agent: SessionAgent) => Promise<string | null> = () => Promise.resolve(null),
  ) {
    this.index = new SessionIndex(dir, (id) => host.drivenLog(id), catalog);
  }

  create(params: SessionCreateParams): Promise<Session> {
    // Claimed until the record is stored: a delete of the upload's last session elsewhere keeps its unpacked copy.
    return this.workspaces.whileClaimed(params.resources ?? [], () => this.createClaimed(params));
  }

  private async createClaimed(params: SessionCreateParams): Promise<Session> {
    const agent = await resolveSessionAgent(params.agent, this.agents, this.catalog);
    const env = await this.environments.retrieve(params.environment_id);
    if (env.archived_at) throw invalid(`Environment ${env.id} is archived; new sessions need an active environment.`, 'environment_archived');
    const sandbox = sandboxEnvironment(env);
    const unsupported = providerProblem(sandbox, this.host.providerKind);
    if (unsupported) throw invalid(unsupported);
    const unbudgetable = params.budget ? unbudgetableModel(params.budget, agent, this.catalog) : null;
    if (unbudgetable) throw invalid(unbudgetable.message, unbudgetable.reason);
    const modelProblem = await this.modelProblem(agent);
    if (modelProblem) throw invalid(`Can't start the session: ${modelProblem}`, 'model_unavailable');
    // initial_events are checked whole before anything is made (an outcome's rubric file read).
    const initialEvents = await prepareOutcomes(params.initial_events ?? [], agent, (f) => this.files.content(f));
    const now = nowIso();
    const requested = params.resources ?? [];
    const resources: SessionResource[] = [];
    for (const r of requested) if (r.type === 'local_repository') resources.push(await this.workspaces.resource(r, newId('sesrsc'), now));
    resources.push(...(await this.files.resources(requested, now)));
    const repositories = planRepositories(requested, now, { providerKind: this.host.providerKind, repoPath: resources.find((r) => r.type === 'local_repository')?.path, taken: resources });
    resources.push(...repositories.resources);
    resources.push(...(await this.memory.plan(requested)));
    // Checked before anything is made: a custom skill deleted since the agent named it refuses the session.
    const skills = await this.skills.plan(agent, resources.find((r) => r.type === 'local_repository')?.path ?? null);
    const record: SessionRecord = {
      type: 'session',
      id: newId('sesn'),
      title: params.title ?? null,
      environment_id: env.id,
      environment: { ...sandbox, hangar: { ...sandbox.hangar, provider: this.host.providerKind } },
      agent,
      resources,
      vault_ids: params.vault_ids ?? [],
      metadata: params.metadata ?? {},
      budget: params.budget ?? null,
      created_at: now,
      updated_at: now,
      archived_at: null,
    };
    // Cloning blocks creation (the reference: resources are ready when the session is); a failed clone refuses it whole.
    await this.clones.clone(record, repositories.tokens, (m) => this.host.progress(record.id, m));
    try {
      await createSessionDir(this.dir, record);
    } catch (err) {
      await this.clones.abandon(record);
      throw err;
    }
    await this.clones.settle(record);
    await this.files.linkUploads(record);
    await this.skills.place(record.id, skills);
    await this.memory.place(record);
    await this.index.noteRecord(record);
    if (this.host.providerKind === 'local') this.host.progress(record.id, localProviderCaveats(sandbox, sessionRepository(resources)?.path), true);
    await this.host.wake(record);
    // Workspace skills that cannot be used are said once, at the start; the session goes on without them.
    for (const message of skills.warnings) await this.appendSystemEvent(record, { type: 'session.error', error: { type: 'unknown_error', message, retry_status: { type: 'exhausted' } } } as SessionEvent);
    if (initialEvents.length) await this.host.send(record, initialEvents);
    return this.retrieve(record.id);
  }

  /**
   * A new session from `source` at one of its events (session-fork.ts): the log up to it, the files of the checkpoint
   * at it in a sandbox of its own, not woken. The source is only read. A deleted source is a 404 that says so.
   */
  async fork(sourceId: string, req: ForkRequest = {}): Promise<Session> {
    const source = await this.record(sourceId).catch((err: unknown) => {
      if (err instanceof RuntimeError && err.status === 404) throw new RuntimeError(404, 'not_found_error', `Session ${sourceId} does not exist (deleted, or a wrong id): there is nothing to fork.`, 'fork_source_missing');
      throw err;
    });
    const events = (await this.host.events(sourceId)).events();
    // The fork works on the source's upload too: claimed until its record is stored, as a new session's.
    const record = await this.workspaces.whileClaimed(source.resources, () => createFork(this.dir, { record: source, events, dir: this.host.dir(sourceId) }, req, nowIso(), () => this.host.sandboxFor(source)));
    await this.files.linkUploads(record);
    await this.skills.place(record.id, await this.skills.plan(record.agent, sessionRepository(record.resources)?.path ?? null));
    await this.memory.place(record);
    await this.index.noteRecord(record);
    // Provisioned and given the checkpoint's files in the background: every use of the fork's sandbox waits for that.
    void this.host.sandboxFor(record).catch(() => undefined);
    return this.retrieve(record.id);
  }

  /** The session's record; a damaged session is a RuntimeError that names the file and the fix. */
  record(id: string): Promise<SessionRecord> {
    return readSessionRecord(this.index, this.dir, id);
  }

  async retrieve(id: string): Promise<Session> {
    const record = await this.record(id);
    return sessionView(record, await this.summary(record));
  }

  summary(record: SessionRecord): Promise<SessionSummary> {
    return this.index.summary(record);
  }

  /** Stores the summary of a session driven here, so listings in other processes need not fold its log. */
  persistSummary(id: string, log: SessionLog<SessionEvent>): Promise<void> {
    return this.index.persist(id, log);
  }

  /** One page of sessions (session-listing.ts). */
  list(q: SessionListQuery): Promise<SessionListPage> {
    return listSessions(this.index, q, sessionView);
  }

  async update(id: string, params: SessionUpdateParams): Promise<Session> {
    const record = await this.record(id);
    if (record.archived_at) throw invalid(`Session ${id} is archived and read-only.`);
    const next: SessionRecord = { ...record, updated_at: nowIso() };
    const changed: Record<string, unknown> = {};
    if (params.title !== undefined) next.title = changed.title = params.title ?? null;
    if (params.metadata !== undefined) next.metadata = changed.metadata = applyMetadataPatch(record.metadata, params.metadata);
    if (params.agent) {
      const summary = await this.summary(record);
      if (summary.status === 'running') throw invalid('Tools can only change while the session is not running; interrupt it first.');
      const mcp = params.agent.mcp_servers ?? record.agent.mcp_servers;
      next.agent = changed.agent = { ...record.agent, mcp_servers: mcp, tools: normalizeTools(params.agent.tools ?? record.agent.tools, mcp) };
    }
    if (params.budget !== undefined) {
      const summary = await this.summary(record);
      if (summary.status === 'terminated') throw invalid(`Session ${id} has terminated; its budget can no longer change.`);
      const problem = budgetUpdateProblem(record.budget, params.budget, spendOf(summary, false)) ?? (params.budget && unbudgetableModel(params.budget, record.agent, this.catalog));
      if (problem) throw invalid(problem.message, problem.reason);
      next.budget = changed.budget = params.budget;
    }
    await writeRecord(this.host.dir(id), next);
    if (Object.keys(changed).length > 0) await this.appendSystemEvent(next, { type: 'session.updated', ...changed } as SessionEvent);
    // A driver holds the agent snapshot it started with; the next wake picks up the new tools.
    if (params.agent) await this.host.release(id);
    // Work held for a spent budget goes on under the raised (or removed) one.
    else if (params.budget !== undefined) this.host.resume(id);
    return this.retrieve(id);
  }

  /**
   * A roster agent's tools in a session's snapshot (a sub-agent's "Allow for this session"; the wire's session update
   * changes the coordinator's tools only). Logged as `session.updated` with the whole agent like update(), but allowed
   * while the session runs, and not a release: the session's threads follow at once (SessionHost.retool), so the others
   * go on working. A process that drives the session elsewhere keeps its snapshot until it wakes the session again.
   */
  async updateMemberTools(id: string, agentName: string, tools: SessionAgent['tools']): Promise<void> {
    const record = await this.record(id);
    if (record.archived_at) throw invalid(`Session ${id} is archived and read-only.`);
    // The tools are the member's own resolved ones with one policy changed (session-permissions.ts), already normal.
    const agent = withMemberTools(record.agent, agentName, tools);
    const next: SessionRecord = { ...record, agent, updated_at: nowIso() };
    await writeRecord(this.host.dir(id), next);
    await this.appendSystemEvent(next, { type: 'session.updated', agent } as SessionEvent);
    this.host.retool(id, agent);
  }

  async archive(id: string): Promise<Session> {
    const record = await this.record(id);
    if (record.archived_at) return this.retrieve(id);
    const summary = await this.summary(record);
    if (summary.status === 'running') await this.send(id, [{ type: 'user.interrupt' }]);
    await this.host.settled(id);
    if (summary.status !== 'terminated') await this.appendSystemEvent(record, { type: 'session.status_terminated' } as SessionEvent);
    const archived = { ...record, archived_at: nowIso(), updated_at: nowIso() };
    await writeRecord(this.host.dir(id), archived);
    await this.index.noteRecord(archived);
    await this.host.release(id);
    return this.retrieve(id);
  }

  /** Deletes a session, damaged ones included: whatever of it cannot be read is removed all the same. */
  async delete(id: string, destroySandbox: (id: string) => Promise<void>): Promise<{ id: string; type: 'session_deleted' }> {
    const record = await this.record(id).catch((err: unknown) => {
      if (err instanceof RuntimeError && err.code === 'damaged') return null;
      throw err;
    });
    // A damaged lease file cannot name a live holder; a live holder renews a readable one.
    const lease = await readLease(this.host.dir(id)).catch(() => null);
    this.host.assertNotDrivenElsewhere(id, lease && lease.pid !== process.pid && leaseAlive(lease) ? `pid ${lease.pid}` : null);
    if (record) await this.appendSystemEvent(record, { type: 'session.deleted' } as SessionEvent).catch(() => undefined);
    await this.host.release(id);
    await destroySandbox(id);
    await fsp.rm(this.host.dir(id), { recursive: true, force: true });
    await this.index.noteDeleted(id);
    if (record) {
      await this.clones.forget(record);
      await this.workspaces.release(record.resources, (fileId) => this.namesUpload(fileId));
    }
    return { id, type: 'session_deleted' };
  }

  async send(id: string, params: EventParams[]): Promise<SessionEvent[]> {
    const record = await this.record(id);
    if (record.archived_at && params.some((p) => p.type !== 'user.interrupt')) throw invalid(`Session ${id} is archived and accepts no events.`);
    await checkThreadMessages(id, params, () => this.threads(id));
    return this.host.send(record, await prepareOutcomes(params, record.agent, (f) => this.files.content(f)));
  }

  /**
   * Whether a stored session may work on the uploaded workspace `fileId`, read from every record (such deletes are
   * rare); a damaged record might, so it keeps the copy.
   */
  private async namesUpload(fileId: string): Promise<boolean> {
    for (const id of await this.index.ids()) {
      const record = await this.index.record(id).catch(() => undefined);
      if (record === undefined || (record && sessionRepository(record.resources)?.upload?.file_id === fileId)) return true;
    }
    return false;
  }

  /** Continues a session from its log in this process (no-op when another live process drives it). */
  async wake(id: string): Promise<boolean> {
    return (await this.host.wake(await this.record(id))) !== null;
  }

  /** How many events the session has (a position to follow from). */
  async eventCount(id: string): Promise<number> {
    await this.record(id);
    return (await this.host.events(id)).length;
  }

  async listEvents(id: string, q: EventListQuery): Promise<Page<SessionEvent>> {
    await this.record(id);
    const where = q.where as ((e: unknown) => boolean) | undefined;
    const opts = { order: q.order ?? 'asc', limit: q.limit ?? DEFAULT_LIMIT, after: q.page, types: q.types, createdAt: q.created_at, where };
    // The first page of a log this process does not hold is read from the end of the file it is at; a later page, or a
    // held log, from the whole log (read once, then followed).
    if (!q.page && !this.host.holds(id)) return firstEventPage(path.join(this.host.dir(id), EVENTS_FILE), opts);
    const log = await this.host.events(id);
    const all = log.events();
    return log.list(opts, (e, seq) => withProcessedAt(all, e, seq));
  }

  /** Archives a sub-agent thread: it must be idle (waiting for the user counts); the primary thread goes with the session. */
  async archiveThread(id: string, threadId: string): Promise<SessionThread> {
    const record = await this.record(id);
    if (threadId === primaryThreadId(id)) throw invalid('The primary thread cannot be archived on its own; archive the session instead.');
    if (!(await this.threads(id)).some((t) => t.id === threadId)) throw notFound('Session thread', threadId);
    if (record.archived_at) throw invalid(`Session ${id} is archived and read-only.`);
    await this.host.archiveThread(record, threadId);
    return (await this.threads(id)).find((t) => t.id === threadId)!;
  }

  /** The session's threads, the primary first, each with its own status, usage and cost. */
  async threads(id: string): Promise<SessionThread[]> {
    const record = await this.record(id);
    const session = sessionView(record, await this.summary(record));
    return sessionThreads(session, record.agent, (await this.host.events(id)).events(), this.catalog);
  }

  /** `thread`: whose previews (a sub-agent thread's); absent, the primary thread's. */
  async subscribe(id: string, fromSeq: number, onEvent: (e: SessionEvent, seq: number) => void, onPreview?: (p: StreamPreview) => void, thread?: string): Promise<() => void> {
    await this.record(id);
    return this.host.subscribe(id, fromSeq, onEvent, onPreview, thread === undefined || thread === primaryThreadId(id) ? null : thread);
  }

  /** The session's checkpoints, oldest first (checkpoints.ts). */
  async checkpoints(id: string): Promise<Checkpoint[]> {
    await this.record(id);
    return listCheckpoints(id, (await this.host.events(id)).events());
  }

  /** The session's files back to a checkpoint and its conversation continuing from there (checkpoints.ts). */
  async rewind(id: string, checkpointId: string): Promise<RewindResult> {
    const record = await this.record(id);
    if (record.archived_at) throw invalid(`Session ${id} is archived and read-only; it cannot be rewound.`);
    return this.host.rewind(record, checkpointId);
  }

  async changes(id: string): Promise<WorkspaceChanges> {
    return (await this.host.sandboxFor(await this.record(id))).changes();
  }

  async readFile(id: string, file: string, side: FileSide): Promise<Buffer | null> {
    return (await this.host.sandboxFor(await this.record(id))).readFile(file, side);
  }

  /**
   * Wakes every session a crash or reload left running, or with a turn asked for and not begun, so it continues
   * (ARCHITECTURE.md invariant 2). A damaged session is skipped (listings show it), so it never keeps the others from
   * resuming.
   */
  async resumeInterrupted(): Promise<string[]> {
    const woken: string[] = [];
    for (const entry of (await this.index.catalogue()).entries) {
      if (entry.archived) continue;
      const record = await this.index.record(entry.id).catch((err: unknown) => (err instanceof RuntimeError ? null : Promise.reject(err)));
      if (!record) continue;
      const s = await this.summary(record).catch((err: unknown) => (err instanceof RuntimeError ? null : Promise.reject(err)));
      if (s?.status === 'running' || s?.status === 'rescheduling' || s?.turnAsked) {
        if (await this.host.wake(record)) woken.push(record.id);
      }
    }
    return woken;
  }

  /** Every session directory, damaged ones included. */
  ids(): Promise<string[]> {
    return this.index.ids();
  }

  private async appendSystemEvent(record: SessionRecord, event: SessionEvent): Promise<void> {
    const a = await this.host.wake(record);
    if (!a) throw invalid(`Session ${record.id} is being driven by another Hangar process; change it there.`);
    await a.log.append([{ ...event, id: '', processed_at: nowIso() }], { durable: true });
  }

}

function leaseAlive(lease: { expires_at: string }): boolean {
  return Date.parse(lease.expires_at) > Date.now();
}
