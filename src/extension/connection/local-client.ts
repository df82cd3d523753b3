import { watch } from 'node:fs';
import { copyFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Runtime } from '../../runtime';
import type { Agent, AgentUpdateParams, Environment, FileResourceParams, SessionEvent, StreamPreview } from '../../wire';
import type { BudgetLimit } from '../../wire/budget';
import type { SessionForkParams } from '../../wire/fork';
import { probeWorkspace } from '../../runtime/workspace-probe';
import { sessionView as storedSessionView } from '../../runtime/stored-sessions';
import { sessionWorkspacePath } from '../../wire/session-repository';
import type { WorkspaceProbeParams } from '../../wire/workspace';
import type { ConnectionState, FollowHandlers, RuntimeClient, SessionView } from './runtime-client';
import { LocalMemory } from './runtime-memory';
import { LocalModels } from './runtime-models';
import { LocalBestOf } from './runtime-best-of';
import { LocalPermissions } from './runtime-permissions';
import { LocalVaults } from './runtime-vaults';
import type { UploadOptions } from './streamed-upload';

// The seam over the window's own Runtime: a session's view comes from its stored summary (runtime
// session-index.ts), so a listing costs the page, not the history (issue #17); new and removed sessions of the same
// storage (the local API server, the CLI, another window) are seen by watching the sessions directory.

const COALESCE_MS = 150;

export class LocalRuntimeClient implements RuntimeClient {
  readonly where = 'in-process';
  readonly detached = false;
  readonly vaults: LocalVaults;
  readonly permissions: LocalPermissions;
  readonly bestOf: LocalBestOf;
  readonly memory: LocalMemory;
  readonly models: LocalModels;

  constructor(
    readonly runtime: Runtime,
    private readonly storageRoot: string,
  ) {
    this.vaults = new LocalVaults(runtime.vaults);
    this.permissions = new LocalPermissions(runtime.permissions);
    this.bestOf = new LocalBestOf(runtime);
    this.memory = new LocalMemory(runtime.memoryStores);
    this.models = new LocalModels(runtime);
  }

  get catalog() {
    return this.runtime.catalog;
  }

  async listSessions(): Promise<SessionView[]> {
    const page = await this.runtime.sessions.list({ limit: 200, order: 'desc' });
    return Promise.all(page.data.map((s) => this.sessionView(s.id)));
  }

  async sessionView(id: string): Promise<SessionView> {
    const sessions = this.runtime.sessions;
    // The record and summary read once: retrieve() would read both again (a view is read on every repaint of a
    // running session).
    const record = await sessions.record(id);
    const summary = await sessions.summary(record);
    const session = storedSessionView(record, summary);
    return {
      id,
      title: record.title ?? id,
      status: session.status,
      stopReason: summary.stopReason,
      needsAction: session.status === 'idle' && summary.stopReason?.type === 'requires_action',
      activeSeconds: session.stats.active_seconds ?? 0,
      costCents: summary.costCents,
      costEstimated: summary.costEstimated,
      createdAt: record.created_at,
      agentName: record.agent.name,
      repo: sessionWorkspacePath(record.resources) ?? null,
      // Records from before the provider was recorded ran locally (as the panel and the CLI read them).
      sandbox: record.environment.hangar.provider ?? 'local',
      lastError: summary.lastError,
    };
  }

  retrieveSession(id: string) {
    return this.runtime.sessions.retrieve(id);
  }

  async sessionEvents(id: string, types?: readonly string[]): Promise<SessionEvent[]> {
    const out: SessionEvent[] = [];
    for (let page: string | undefined; ; ) {
      const res = await this.runtime.sessions.listEvents(id, { limit: 5000, page, ...(types ? { types: [...types] } : {}) });
      out.push(...res.data);
      if (!res.next_page) return out;
      page = res.next_page;
    }
  }

  async follow(id: string, after: readonly SessionEvent[] | 'now', handlers: FollowHandlers): Promise<() => void> {
    const from = after === 'now' ? await this.runtime.sessions.eventCount(id) : after.length;
    return this.runtime.sessions.subscribe(id, from, (e) => handlers.onEvent(e), handlers.onPreview?.bind(handlers));
  }

  async followThreadPreviews(id: string, thread: string, onPreview: (p: StreamPreview) => void): Promise<() => void> {
    const sessions = this.runtime.sessions;
    // From the log's end: this subscription is for the thread's previews; its events come through the session's.
    return sessions.subscribe(id, await sessions.eventCount(id), () => undefined, onPreview, thread);
  }

  async send(id: string, events: Parameters<Runtime['sessions']['send']>[1]): Promise<void> {
    await this.runtime.sessions.send(id, events);
  }

  createSession(params: Parameters<Runtime['sessions']['create']>[0]) {
    return this.runtime.sessions.create(params);
  }

  async deleteSession(id: string): Promise<void> {
    await this.runtime.deleteSession(id);
  }

  resume(id: string): Promise<boolean> {
    return this.runtime.sessions.wake(id);
  }

  setBudget(id: string, budget: BudgetLimit) {
    return this.runtime.sessions.update(id, { budget });
  }

  changes(id: string) {
    return this.runtime.sessions.changes(id);
  }

  probeWorkspace(params: WorkspaceProbeParams) {
    return probeWorkspace(params);
  }

  readFile(id: string, file: string, side: 'baseline' | 'current') {
    return this.runtime.sessions.readFile(id, file, side);
  }

  checkpoints(id: string) {
    return this.runtime.sessions.checkpoints(id);
  }

  rewind(id: string, checkpointId: string) {
    return this.runtime.sessions.rewind(id, checkpointId);
  }

  fork(id: string, params: SessionForkParams) {
    return this.runtime.sessions.fork(id, params);
  }

  async listOutputs(id: string) {
    return (await this.runtime.files.list({ scope_id: id, limit: 1000 })).data;
  }

  retrieveFile(fileId: string) {
    return this.runtime.files.retrieve(fileId);
  }

  async saveFile(fileId: string, to: string): Promise<void> {
    await copyFile((await this.runtime.files.content(fileId)).path, to);
  }

  /** A copy on this machine's disk: nothing to stream, so the progress is all at once. */
  async uploadFile(localPath: string, opts: UploadOptions = {}) {
    opts.signal?.throwIfAborted();
    const file = await this.runtime.files.uploadPath(localPath);
    opts.onProgress?.(file.size_bytes, file.size_bytes);
    return file;
  }

  /** The window's own runtime is this extension's version. */
  async acceptsUploadDelta(): Promise<boolean> {
    return true;
  }

  async attachFile(id: string, params: FileResourceParams): Promise<void> {
    await this.runtime.attachments.add(id, params);
  }

  async listAgents(): Promise<Agent[]> {
    const out: Agent[] = [];
    for (let page: string | undefined; ; ) {
      const res = await this.runtime.agents.list({ limit: 100, page });
      out.push(...res.data);
      if (!res.next_page) return out;
      page = res.next_page;
    }
  }

  retrieveAgent(id: string, version?: number) {
    return this.runtime.agents.retrieve(id, version);
  }

  createAgent(params: Parameters<Runtime['agents']['create']>[0]) {
    return this.runtime.agents.create(params);
  }

  updateAgent(id: string, params: AgentUpdateParams) {
    return this.runtime.agents.update(id, params);
  }

  async agentVersions(id: string): Promise<Agent[]> {
    const out: Agent[] = [];
    for (let page: string | undefined; ; ) {
      const res = await this.runtime.agents.versions(id, { limit: 100, page });
      out.push(...res.data);
      if (!res.next_page) return out;
      page = res.next_page;
    }
  }

  async defaultEnvironment(metadata: Record<string, string | null>): Promise<Environment> {
    const envs = this.runtime.environments;
    const env = await envs.ensureDefault();
    // Written only when a setting changed, so opening a window does not touch the environment.
    const changed = Object.entries(metadata).some(([key, value]) => (env.metadata[key] ?? null) !== value);
    return changed ? envs.update(env.id, { metadata }) : env;
  }

  mcpStatus(id: string) {
    return this.runtime.mcpStatus(id);
  }

  watchSessions(onChange: () => void): () => void {
    const dir = path.join(this.storageRoot, 'sessions');
    let known: string | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const rescan = () => {
      if (timer) return;
      timer = setTimeout(() => {
        timer = undefined;
        void readdir(dir).then((names) => {
          const now = names.filter((n) => n.startsWith('sesn_')).sort().join(',');
          if (known !== undefined && now !== known) onChange();
          known = now;
        }, () => undefined);
      }, COALESCE_MS);
    };
    try {
      const watcher = watch(dir, rescan);
      watcher.on('error', () => watcher.close());
      rescan();
      return () => {
        watcher.close();
        if (timer) clearTimeout(timer);
      };
    } catch {
      // No watcher (the directory is not there yet, or the platform refuses): the list refreshes on our own changes.
      return () => undefined;
    }
  }

  onConnection(_listener: (state: ConnectionState) => void): () => void {
    // The runtime is this process: the link never drops.
    return () => undefined;
  }

  close(): Promise<void> {
    return this.runtime.close();
  }
}
