import { promises as fsp, existsSync, statSync } from 'node:fs';
import path from 'node:path';
import {
  applyMetadataPatch,
  emptySummary,
  foldSummary,
  newId,
  nowIso,
  type EventParams,
  type Session,
  type SessionAgent,
  type SessionCreateParams,
  type SessionEvent,
  type SessionStatus,
  type SessionSummary,
  type SessionUpdateParams,
  type StreamPreview,
} from '../wire';
import { readLease, type Page } from '../log';
import type { AgentStore } from './agents';
import { normalizeModel, normalizeTools } from './agents';
import type { EnvironmentStore } from './environments';
import { invalid, notFound } from './errors';
import { readRecord, writeRecord, type SessionRecord } from './session-record';
import type { SessionHost } from './session-host';
import { pageSessions, type BidiPage } from './session-paging';
import type { WorkspaceChanges, FileSide } from '../sandbox/types';

export interface SessionListQuery {
  limit?: number;
  page?: string;
  order?: 'asc' | 'desc';
  agent_id?: string;
  agent_version?: number;
  statuses?: SessionStatus[];
  include_archived?: boolean;
  created_at?: { gt?: string; gte?: string; lt?: string; lte?: string };
}

export interface EventListQuery {
  limit?: number;
  page?: string;
  order?: 'asc' | 'desc';
  types?: string[];
  created_at?: { gt?: string; gte?: string; lt?: string; lte?: string };
}

export class SessionService {
  private readonly summaries = new Map<string, { length: number; summary: SessionSummary }>();

  constructor(
    private readonly dir: string,
    private readonly agents: AgentStore,
    private readonly environments: EnvironmentStore,
    private readonly host: SessionHost,
  ) {}

  async create(params: SessionCreateParams): Promise<Session> {
    const agent = await this.resolveAgent(params.agent);
    const env = await this.environments.retrieve(params.environment_id);
    if (env.archived_at) throw invalid(`Environment ${env.id} is archived; new sessions need an active environment.`, 'environment_archived');
    if (env.config.type !== 'cloud') throw invalid('Self-hosted environments are not supported by the local runtime; use a cloud (local sandbox) environment.');
    const now = nowIso();
    const resources = (params.resources ?? []).map((r) => {
      const repo = path.resolve(r.path);
      if (!existsSync(repo) || !statSync(repo).isDirectory()) throw invalid(`resources[].path ${r.path} is not a directory on this machine.`);
      return { id: newId('sesrsc'), type: 'local_repository' as const, path: repo, mount_path: r.mount_path ?? '/workspace', created_at: now, updated_at: now };
    });
    const record: SessionRecord = {
      type: 'session',
      id: newId('sesn'),
      title: params.title ?? null,
      environment_id: env.id,
      environment: { ...env.config, hangar: { ...env.config.hangar, provider: this.host.providerKind } },
      agent,
      resources,
      vault_ids: params.vault_ids ?? [],
      metadata: params.metadata ?? {},
      budget: null,
      outcome_evaluations: [],
      created_at: now,
      updated_at: now,
      archived_at: null,
    };
    await writeRecord(this.host.dir(record.id), record);
    await this.host.wake(record);
    if (params.initial_events?.length) await this.host.send(record, params.initial_events);
    return this.retrieve(record.id);
  }

  async record(id: string): Promise<SessionRecord> {
    if (!/^[A-Za-z0-9_-]{1,128}$/.test(id)) throw notFound('Session', id);
    const r = await readRecord(this.host.dir(id));
    if (!r) throw notFound('Session', id);
    return r;
  }

  async retrieve(id: string): Promise<Session> {
    const record = await this.record(id);
    return this.toSession(record, await this.summary(record));
  }

  async summary(record: SessionRecord): Promise<SessionSummary> {
    const log = await this.host.events(record.id);
    const cached = this.summaries.get(record.id) ?? { length: 0, summary: emptySummary() };
    let summary = cached.summary;
    for (const e of log.slice(cached.length)) summary = foldSummary(summary, e, record.agent.model.id);
    this.summaries.set(record.id, { length: log.length, summary });
    return summary;
  }

  async list(q: SessionListQuery): Promise<BidiPage<Session>> {
    const sessions: Session[] = [];
    for (const record of await this.records()) {
      if (!q.include_archived && record.archived_at) continue;
      if (q.agent_id && record.agent.id !== q.agent_id) continue;
      if (q.agent_version !== undefined && record.agent.version !== q.agent_version) continue;
      const c = q.created_at;
      if (c && ((c.gt && !(record.created_at > c.gt)) || (c.gte && !(record.created_at >= c.gte)) || (c.lt && !(record.created_at < c.lt)) || (c.lte && !(record.created_at <= c.lte)))) continue;
      const session = this.toSession(record, await this.summary(record));
      if (q.statuses?.length && !q.statuses.includes(session.status)) continue;
      sessions.push(session);
    }
    return pageSessions(sessions, q.order ?? 'desc', q.limit ?? 20, q.page);
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
    await writeRecord(this.host.dir(id), next);
    if (Object.keys(changed).length > 0) await this.appendSystemEvent(next, { type: 'session.updated', ...changed } as SessionEvent);
    // A driver holds the agent snapshot it started with; the next wake picks up the new tools.
    if (params.agent) await this.host.release(id);
    return this.retrieve(id);
  }

  async archive(id: string): Promise<Session> {
    const record = await this.record(id);
    if (record.archived_at) return this.retrieve(id);
    const summary = await this.summary(record);
    if (summary.status === 'running') await this.send(id, [{ type: 'user.interrupt' }]);
    await this.host.settled(id);
    if (summary.status !== 'terminated') await this.appendSystemEvent(record, { type: 'session.status_terminated' } as SessionEvent);
    await writeRecord(this.host.dir(id), { ...record, archived_at: nowIso(), updated_at: nowIso() });
    await this.host.release(id);
    return this.retrieve(id);
  }

  async delete(id: string, destroySandbox: (id: string) => Promise<void>): Promise<{ id: string; type: 'session_deleted' }> {
    const record = await this.record(id);
    const lease = await readLease(this.host.dir(id));
    this.host.assertNotDrivenElsewhere(id, lease && lease.pid !== process.pid && leaseAlive(lease) ? `pid ${lease.pid}` : null);
    await this.appendSystemEvent(record, { type: 'session.deleted' } as SessionEvent).catch(() => undefined);
    await this.host.release(id);
    await destroySandbox(id);
    await fsp.rm(this.host.dir(id), { recursive: true, force: true });
    this.summaries.delete(id);
    return { id, type: 'session_deleted' };
  }

  async send(id: string, params: EventParams[]): Promise<SessionEvent[]> {
    const record = await this.record(id);
    if (record.archived_at && params.some((p) => p.type !== 'user.interrupt')) throw invalid(`Session ${id} is archived and accepts no events.`);
    return this.host.send(record, params);
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
    const log = await this.host.events(id);
    return log.list({ order: q.order ?? 'asc', limit: q.limit, after: q.page, types: q.types, createdAt: q.created_at });
  }

  async subscribe(id: string, fromSeq: number, onEvent: (e: SessionEvent, seq: number) => void, onPreview?: (p: StreamPreview) => void): Promise<() => void> {
    await this.record(id);
    return this.host.subscribe(id, fromSeq, onEvent, onPreview);
  }

  async changes(id: string): Promise<WorkspaceChanges> {
    return (await this.host.sandboxFor(await this.record(id))).changes();
  }

  async readFile(id: string, file: string, side: FileSide): Promise<Buffer | null> {
    return (await this.host.sandboxFor(await this.record(id))).readFile(file, side);
  }

  /** Wakes every session a crash or reload left running, so it continues (DESIGN.md invariant 2). */
  async resumeInterrupted(): Promise<string[]> {
    const woken: string[] = [];
    for (const record of await this.records()) {
      if (record.archived_at) continue;
      const s = await this.summary(record);
      if (s.status === 'running' || s.status === 'rescheduling') {
        if (await this.host.wake(record)) woken.push(record.id);
      }
    }
    return woken;
  }

  async ids(): Promise<string[]> {
    return (await fsp.readdir(this.dir).catch(() => [] as string[])).filter((n) => n.startsWith('sesn_'));
  }

  private async records(): Promise<SessionRecord[]> {
    const out: SessionRecord[] = [];
    for (const id of await this.ids()) {
      const r = await readRecord(this.host.dir(id)).catch(() => null);
      if (r) out.push(r);
    }
    return out;
  }

  private async appendSystemEvent(record: SessionRecord, event: SessionEvent): Promise<void> {
    const a = await this.host.wake(record);
    if (!a) throw invalid(`Session ${record.id} is being driven by another Hangar process; change it there.`);
    await a.log.append([{ ...event, id: '', processed_at: nowIso() }], { durable: true });
  }

  private async resolveAgent(ref: SessionCreateParams['agent']): Promise<SessionAgent> {
    const id = typeof ref === 'string' ? ref : ref.id;
    const version = typeof ref === 'string' ? undefined : ref.version;
    const agent = await this.agents.retrieve(id, version);
    if (agent.archived_at) throw invalid(`Agent ${id} is archived; new sessions need an active agent.`);
    const { created_at: _c, updated_at: _u, archived_at: _a, metadata: _m, ...snapshot } = agent;
    if (typeof ref === 'string' || ref.type === 'agent') return snapshot;
    const mcp = ref.mcp_servers ?? snapshot.mcp_servers;
    return {
      ...snapshot,
      model: ref.model ? normalizeModel(ref.model) : snapshot.model,
      system: ref.system === undefined ? snapshot.system : ref.system,
      mcp_servers: mcp,
      tools: ref.tools ? normalizeTools(ref.tools, mcp) : snapshot.tools,
    };
  }

  private toSession(record: SessionRecord, s: SessionSummary): Session {
    const { environment: _env, ...wire } = record;
    const end = record.archived_at ? Date.parse(record.archived_at) : Date.now();
    const runningMs = s.runningSince !== null ? Math.max(0, Date.now() - s.runningSince) : 0;
    return {
      ...wire,
      status: s.status,
      usage: { ...s.usage, active_seconds: (s.activeMs + runningMs) / 1000 },
      stats: { active_seconds: (s.activeMs + runningMs) / 1000, duration_seconds: Math.max(0, (end - Date.parse(record.created_at)) / 1000) },
    };
  }
}

function leaseAlive(lease: { expires_at: string }): boolean {
  return Date.parse(lease.expires_at) > Date.now();
}
