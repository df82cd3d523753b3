import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import Anthropic from '@anthropic-ai/sdk';
import * as z from 'zod';
import { explainRuntimeError, runtimeClient, RuntimeConnectionError, type RuntimeTarget } from '../../remote/connect';
import { followRemoteSession, followThreadPreviews } from '../../remote/follow';
import { Agent, Environment, FileMetadata, FileResource, ModelCatalog, Session, SessionEvent, type AgentCreateParams, type AgentUpdateParams, type EventParams, type FileResourceParams, type SessionCreateParams, type StreamPreview } from '../../wire';
import type { BudgetLimit } from '../../wire/budget';
import { SessionChanges } from '../../wire/changes';
import { CheckpointList, RewindResult, type Checkpoint } from '../../wire/checkpoint';
import type { SessionForkParams } from '../../wire/fork';
import { HANGAR_INCLUDE, StreamPreviewFrame } from '../../wire/hangar-include';
import { WorkspaceProbeResult, type WorkspaceProbeParams } from '../../wire/workspace';
import { RuntimeInfo, WORKSPACE_UPLOAD_DELTA } from '../../wire/runtime-info';
import { parseWire as parse, type RemoteCall } from './remote-call';
import { RemoteMemory } from './remote-memory';
import { RemoteModels } from './remote-models';
import { RemoteBestOf } from './remote-best-of';
import { RemotePermissions } from './remote-permissions';
import { RemoteVaults } from './remote-vaults';
import { pollSessions, POLL_MS } from './remote-session-watch';
import { RemoteSessionViews } from './remote-session-views';
import { multipartFile, type UploadOptions } from './streamed-upload';
import type { ConnectionState, FollowHandlers, RuntimeClient, SessionView } from './runtime-client';

// The seam over a detached runtime (`hangar serve`, on this machine or another): the Managed Agents API through the
// official SDK, Hangar's /changes endpoints for review, every answer validated with the wire's zod schemas. The log
// is the runtime's, so a runtime that goes away loses nothing: the session list is polled with backoff until it
// answers again (onConnection says so), and a followed session reads what it missed when it comes back.

/** One upload request's time limit (the SDK's default is 10 minutes). */
const UPLOAD_TIMEOUT_MS = 60 * 60_000;

export class RemoteRuntimeClient implements RuntimeClient {
  readonly detached = true;
  readonly where: string;
  /** The runtime's own overrides are not served: prices and limits shown here are the built-in catalogue's. */
  readonly catalog = new ModelCatalog();
  private readonly sdk: Anthropic;
  readonly vaults: RemoteVaults;
  readonly permissions: RemotePermissions;
  readonly bestOf: RemoteBestOf;
  readonly memory: RemoteMemory;
  readonly models: RemoteModels;
  private readonly listeners = new Set<(state: ConnectionState) => void>();
  private readonly views: RemoteSessionViews;
  private up = true;
  private readonly stops = new Set<() => void>();

  constructor(target: RuntimeTarget) {
    this.where = target.url;
    // The seam retries by reconnecting (follow, the poll); a call that fails says so at once.
    this.sdk = runtimeClient({ ...target, maxRetries: 0 });
    const call: RemoteCall = (fn) => this.call(fn);
    this.vaults = new RemoteVaults(this.sdk, call, this.where);
    this.permissions = new RemotePermissions(this.sdk, call);
    this.bestOf = new RemoteBestOf(this.sdk, call);
    this.memory = new RemoteMemory(this.sdk, call);
    this.models = new RemoteModels(this.sdk, call, this.where);
    this.views = new RemoteSessionViews(this.sdk, call);
  }

  /** Fails with the reason (wrong token, untrusted certificate, nothing listening) unless the runtime answers. */
  async check(): Promise<void> {
    await this.call(() => this.sdk.beta.sessions.list({ limit: 1 }));
  }

  async listSessions(): Promise<SessionView[]> {
    const page = await this.call(() => this.sdk.beta.sessions.list({ limit: 100 }));
    const sessions = page.data.map((s) => parse(Session, s, 'a session'));
    return Promise.all(sessions.map((s) => this.views.viewOf(s)));
  }

  async sessionView(id: string): Promise<SessionView> {
    return this.views.viewOf(await this.retrieveSession(id));
  }

  async retrieveSession(id: string): Promise<Session> {
    return parse(Session, await this.call(() => this.sdk.beta.sessions.retrieve(id)), 'a session');
  }

  async sessionEvents(id: string, types?: readonly string[]): Promise<SessionEvent[]> {
    return this.call(async () => {
      const out: SessionEvent[] = [];
      // The log's checkpoint events too, as the in-process runtime's list has them (the panel's rewind and fork hang on them).
      const query = { limit: 1000, ...(types ? { types: [...types] as Anthropic.Beta.Sessions.EventListParams['types'] } : {}), [HANGAR_INCLUDE]: ['checkpoints'] };
      for await (const e of this.sdk.beta.sessions.events.list(id, query)) out.push(parse(SessionEvent, e, 'an event'));
      return out;
    });
  }

  async follow(id: string, after: readonly SessionEvent[] | 'now', handlers: FollowHandlers): Promise<() => void> {
    const seen = after === 'now' ? (await this.sessionEvents(id)).map((e) => e.id) : after.map((e) => e.id);
    const stop = new AbortController();
    const end = () => stop.abort();
    this.stops.add(end);
    void followRemoteSession(this.sdk, id, {
      url: this.where,
      signal: stop.signal,
      seen,
      include: ['checkpoints', ...(handlers.onPreview ? (['tool_output'] as const) : [])],
      deltas: handlers.onPreview ? ['agent.message', 'agent.thinking'] : [],
      onEvent: (e) => {
        const parsed = SessionEvent.safeParse(e);
        // Events the wire does not list are not the extension's to show.
        if (parsed.success) handlers.onEvent(parsed.data);
      },
      onPreview: (frame) => {
        const parsed = StreamPreviewFrame.safeParse(frame);
        if (parsed.success) handlers.onPreview?.(parsed.data);
      },
      onLost: (err, retryInMs) => this.setState({ up: false, reason: err.message, retryInMs }),
      onBack: () => this.setState({ up: true }),
    })
      .catch((err: unknown) => this.setState({ up: false, reason: err instanceof Error ? err.message : String(err), retryInMs: 0 }))
      .finally(() => this.stops.delete(end));
    return end;
  }

  async followThreadPreviews(id: string, thread: string, onPreview: (p: StreamPreview) => void): Promise<() => void> {
    const stop = new AbortController();
    const end = () => stop.abort();
    this.stops.add(end);
    const deliver = (frame: unknown) => {
      const parsed = StreamPreviewFrame.safeParse(frame);
      if (parsed.success) onPreview(parsed.data);
    };
    void followThreadPreviews(this.sdk, id, thread, { url: this.where, signal: stop.signal, deltas: ['agent.message', 'agent.thinking'], include: ['tool_output'], onPreview: deliver })
      // An unknown thread or a refused token: the thread's logged events still come through the session's follow.
      .catch(() => undefined)
      .finally(() => this.stops.delete(end));
    return end;
  }

  async send(id: string, events: EventParams[]): Promise<void> {
    await this.call(() => this.sdk.beta.sessions.events.send(id, { events } as unknown as Anthropic.Beta.Sessions.EventSendParams));
  }

  async createSession(params: SessionCreateParams): Promise<Session> {
    // Hangar's local_repository resource is not in the SDK's types; the runtime validates it.
    const created = await this.call(() => this.sdk.beta.sessions.create(params as unknown as Anthropic.Beta.Sessions.SessionCreateParams));
    return parse(Session, created, 'a session');
  }

  async setBudget(id: string, budget: BudgetLimit): Promise<Session> {
    // A wire budget may cap tokens alone; the SDK's type insists on max_list_cost.
    return parse(Session, await this.call(() => this.sdk.beta.sessions.update(id, { budget } as Anthropic.Beta.Sessions.SessionUpdateParams)), 'a session');
  }

  async deleteSession(id: string): Promise<void> {
    await this.call(() => this.sdk.beta.sessions.delete(id));
  }

  async resume(id: string): Promise<boolean> {
    const { status } = await this.retrieveSession(id);
    return status === 'running' || status === 'rescheduling';
  }

  async changes(id: string): Promise<SessionChanges> {
    const raw: unknown = await this.call(() => this.sdk.get(`${sessionPath(id)}/changes`));
    return parse(SessionChanges, raw, "a session's changes");
  }

  async readFile(id: string, path: string, side: 'baseline' | 'current'): Promise<Buffer | null> {
    try {
      const res = await this.call(() => this.sdk.get(`${sessionPath(id)}/changes/content`, { query: { path, side }, __binaryResponse: true }) as unknown as Promise<Response>);
      return Buffer.from(await res.arrayBuffer());
    } catch (err) {
      if (err instanceof RuntimeRefusal && err.status === 404) return null;
      throw err;
    }
  }

  /** Hangar's own endpoint (src/api/workspaces.ts): does the runtime read this workspace in place? */
  async probeWorkspace(params: WorkspaceProbeParams): Promise<WorkspaceProbeResult> {
    const raw: unknown = await this.call(() => this.sdk.post('/v1/workspaces/probe', { body: params }));
    return parse(WorkspaceProbeResult, raw, 'a workspace probe');
  }

  // Checkpoints, rewind and fork are Hangar's endpoints (src/api/checkpoints.ts, sessions.ts), outside the SDK's types.
  async checkpoints(id: string): Promise<Checkpoint[]> {
    const raw: unknown = await this.call(() => this.sdk.get(`${sessionPath(id)}/checkpoints`));
    return parse(CheckpointList, raw, "a session's checkpoints").data;
  }

  async rewind(id: string, checkpointId: string): Promise<RewindResult> {
    const raw: unknown = await this.call(() => this.sdk.post(`${sessionPath(id)}/rewind`, { body: { checkpoint_id: checkpointId } }));
    return parse(RewindResult, raw, 'a rewind');
  }

  async fork(id: string, params: SessionForkParams): Promise<Session> {
    const raw: unknown = await this.call(() => this.sdk.post(`${sessionPath(id)}/fork`, { body: params }));
    return parse(Session, raw, 'a session');
  }

  async listOutputs(id: string): Promise<FileMetadata[]> {
    return this.call(async () => {
      const out: FileMetadata[] = [];
      for await (const f of this.sdk.beta.files.list({ scope_id: id, limit: 1000 })) out.push(parse(FileMetadata, f, 'a file'));
      return out;
    });
  }

  async retrieveFile(fileId: string): Promise<FileMetadata> {
    return parse(FileMetadata, await this.call(() => this.sdk.beta.files.retrieveMetadata(fileId)), 'a file');
  }

  async saveFile(fileId: string, to: string): Promise<void> {
    const res = await this.call(() => this.sdk.beta.files.download(fileId));
    if (!res.body) throw new Error(`The runtime at ${this.where} sent file ${fileId} without its content.`);
    await pipeline(Readable.fromWeb(res.body as WebReadableStream<Uint8Array>), createWriteStream(to));
  }

  async uploadFile(localPath: string, opts: UploadOptions = {}): Promise<FileMetadata> {
    const form = await multipartFile(localPath, opts);
    try {
      // Streamed from disk (streamed-upload.ts), not the SDK's files.upload, which reads the file into memory first.
      // Not retried (the body is read once) and given an hour: a large workspace over a slow link is still one request.
      const uploaded = await this.call(() => this.sdk.post('/v1/files', { body: form.body, headers: { 'content-type': form.contentType, 'anthropic-beta': 'files-api-2025-04-14' }, maxRetries: 0, timeout: UPLOAD_TIMEOUT_MS, ...(opts.signal ? { signal: opts.signal } : {}) }));
      return parse(FileMetadata, uploaded, 'a file');
    } catch (err) {
      opts.signal?.throwIfAborted();
      throw err;
    }
  }

  /** Asked on each upload (the runtime behind the address may have been replaced); a runtime without GET /v1/runtime is older than the capability. */
  async acceptsUploadDelta(): Promise<boolean> {
    try {
      const raw: unknown = await this.call(() => this.sdk.get('/v1/runtime'));
      return parse(RuntimeInfo, raw, 'its capabilities').capabilities.includes(WORKSPACE_UPLOAD_DELTA);
    } catch (err) {
      if (err instanceof RuntimeRefusal && err.status === 404) return false;
      throw err;
    }
  }

  async attachFile(id: string, params: FileResourceParams): Promise<void> {
    parse(FileResource, await this.call(() => this.sdk.beta.sessions.resources.add(id, params)), 'a file resource');
  }

  async listAgents(): Promise<Agent[]> {
    return this.call(async () => {
      const out: Agent[] = [];
      for await (const a of this.sdk.beta.agents.list({ limit: 100 })) out.push(parse(Agent, a, 'an agent'));
      return out;
    });
  }

  async retrieveAgent(id: string, version?: number): Promise<Agent> {
    return parse(Agent, await this.call(() => this.sdk.beta.agents.retrieve(id, version === undefined ? {} : { version })), 'an agent');
  }

  async createAgent(params: AgentCreateParams): Promise<Agent> {
    return parse(Agent, await this.call(() => this.sdk.beta.agents.create(params as unknown as Anthropic.Beta.AgentCreateParams)), 'an agent');
  }

  async updateAgent(id: string, params: AgentUpdateParams): Promise<Agent> {
    return parse(Agent, await this.call(() => this.sdk.beta.agents.update(id, params as unknown as Anthropic.Beta.AgentUpdateParams)), 'an agent');
  }

  async agentVersions(id: string): Promise<Agent[]> {
    return this.call(async () => {
      const out: Agent[] = [];
      for await (const a of this.sdk.beta.agents.versions.list(id, { limit: 100 })) out.push(parse(Agent, a, 'an agent'));
      return out;
    });
  }

  async defaultEnvironment(metadata: Record<string, string | null>): Promise<Environment> {
    return this.call(async () => {
      let env: Environment | undefined;
      for await (const e of this.sdk.beta.environments.list({ limit: 100 })) {
        const parsed = parse(Environment, e, 'an environment');
        if (parsed.name === 'default' && !parsed.archived_at) env = parsed;
      }
      env ??= parse(Environment, await this.sdk.beta.environments.create({ name: 'default', description: 'Hangar default: no network, default limits' } as Anthropic.Beta.EnvironmentCreateParams), 'an environment');
      const changed = Object.entries(metadata).some(([key, value]) => (env.metadata[key] ?? null) !== value);
      if (!changed) return env;
      return parse(Environment, await this.sdk.beta.environments.update(env.id, { metadata } as Anthropic.Beta.EnvironmentUpdateParams), 'an environment');
    });
  }

  mcpStatus(): null {
    // The runtime over there holds the connections; the panel shows the agent's declared servers.
    return null;
  }

  /** Polls the list (remote-session-watch.ts): status and usage move there without a file to watch. */
  watchSessions(onChange: () => void): () => void {
    const stop = pollSessions({
      digest: async () => {
        const page = await this.call(() => this.sdk.beta.sessions.list({ limit: 100 }));
        return page.data.map((s) => `${s.id}:${s.status}:${s.updated_at}:${s.usage.output_tokens ?? 0}`).join(',');
      },
      onChange,
      onState: (state) => this.setState(state),
    });
    this.stops.add(stop);
    return stop;
  }

  onConnection(listener: (state: ConnectionState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    for (const stop of [...this.stops]) stop();
    this.stops.clear();
    this.listeners.clear();
  }

  private setState(state: ConnectionState): void {
    // "Lost" repeats with each retry's wait; "back" only once.
    if (state.up && this.up) return;
    this.up = state.up;
    for (const l of this.listeners) l(state);
  }

  /** Runs one SDK call; its failure becomes the sentence to show: the connection's, or the runtime's own refusal. */
  private async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      const explained = explainRuntimeError(err, this.where);
      if (explained instanceof RuntimeConnectionError) {
        if (explained.kind === 'unreachable') this.setState({ up: false, reason: explained.message, retryInMs: POLL_MS });
        throw explained;
      }
      if (explained instanceof Anthropic.APIError) throw new RuntimeRefusal(explained.status ?? 0, refusalMessage(explained));
      throw explained;
    }
  }
}

/** The runtime refused a request (an answer another window gave first, an unknown session): its own sentence. */
export class RuntimeRefusal extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function sessionPath(id: string): string {
  return `/v1/sessions/${encodeURIComponent(id)}`;
}

const ErrorBody = z.object({ error: z.object({ message: z.string() }) });

function refusalMessage(err: InstanceType<typeof Anthropic.APIError>): string {
  const body = ErrorBody.safeParse(err.error);
  return body.success ? body.data.error.message : err.message;
}
