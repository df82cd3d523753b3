import type { SandboxKind } from '../../format/sandbox';
import type { McpServerState } from '../../runtime';
import type { Agent, AgentCreateParams, AgentUpdateParams, Environment, EventParams, FileMetadata, FileResourceParams, ModelCatalog, Session, SessionCreateParams, SessionEvent, SessionStatus, StopReason, StreamPreview } from '../../wire';
import type { BudgetLimit } from '../../wire/budget';
import type { FileChange } from '../../wire/changes';
import type { Checkpoint, RewindResult } from '../../wire/checkpoint';
import type { SessionForkParams } from '../../wire/fork';
import type { WorkspaceProbeParams, WorkspaceProbeResult } from '../../wire/workspace';
import type { RuntimeMemory } from './runtime-memory';
import type { RuntimeModels } from './runtime-models';
import type { RuntimeBestOf } from './runtime-best-of';
import type { RuntimePermissions } from './runtime-permissions';
import type { RuntimeVaults } from './runtime-vaults';
import type { UploadOptions } from './streamed-upload';

// The one seam between the extension and a runtime (issue #15): what the sessions tree, the session panel, review and
// the start command need, and nothing more. Two implementations: the window's own in-process Runtime
// (local-client.ts) and a detached `hangar serve`, here or on another machine, spoken to through the Managed Agents
// API with the official SDK plus Hangar's /changes endpoints (remote-client.ts). Features outside this interface need
// the in-process runtime; with a detached one they are refused by RuntimeHost.runtime with a sentence, never skipped.
// No vscode import here or in either implementation, so both are tested in plain Node over real HTTP.

/** What the sidebar and the status bar show of one session. */
export interface SessionView {
  id: string;
  title: string;
  status: SessionStatus;
  stopReason: StopReason | null;
  needsAction: boolean;
  activeSeconds: number;
  costCents: number;
  /** The cost is an estimate (a model without a list price). */
  costEstimated: boolean;
  createdAt: string;
  agentName: string;
  repo: string | null;
  sandbox: SandboxKind;
  lastError: string | null;
}

/** The link to a detached runtime: up, or lost with the reason and the wait before the next attempt. */
export type ConnectionState = { up: true } | { up: false; reason: string; retryInMs: number };

export interface FollowHandlers {
  onEvent(e: SessionEvent): void;
  /** Streamed text before its event is logged, and a running tool's output (over the API: `hangar_include[]=tool_output`). */
  onPreview?(p: StreamPreview): void;
}

export interface RuntimeClient {
  /** "in-process", or the detached runtime's URL: for status texts and refusals. */
  readonly where: string;
  readonly detached: boolean;
  /** Model limits and prices for folds and the panel: the runtime's own catalogue in-process, the built-in one over the API. */
  readonly catalog: ModelCatalog;
  /** Vaults and credentials: secrets kept where this runtime's egress proxy and MCP connections read them. */
  readonly vaults: RuntimeVaults;
  /** "Allow for this session": the session's allowances, allowing and revoking. */
  readonly permissions: RuntimePermissions;
  /** Best-of-N: starting the attempts and comparing them. */
  readonly bestOf: RuntimeBestOf;
  /** Memory stores, their memories and versions, for the Memory view and memory documents. */
  readonly memory: RuntimeMemory;
  /** The model providers agents' models are routed to, and their keys. */
  readonly models: RuntimeModels;

  listSessions(): Promise<SessionView[]>;
  sessionView(id: string): Promise<SessionView>;
  retrieveSession(id: string): Promise<Session>;
  /** The session's whole log as the API shows it, its checkpoint and rewind events included (only `types`, when given). */
  sessionEvents(id: string, types?: readonly string[]): Promise<SessionEvent[]>;
  /**
   * Calls `onEvent` for each event after `after` (the events the caller holds) or, with 'now', after the current end
   * of the log, each once, until the returned function is called. A detached runtime that goes away is reconnected to
   * with backoff (onConnection tells), and what was logged meanwhile is delivered then.
   */
  follow(id: string, after: readonly SessionEvent[] | 'now', handlers: FollowHandlers): Promise<() => void>;
  /** A sub-agent thread's previews from now on (the session's own follow has the primary thread's), until the returned function is called. */
  followThreadPreviews(id: string, thread: string, onPreview: (p: StreamPreview) => void): Promise<() => void>;
  /** User events (a message, an interrupt, a confirmation); a refusal (an answer another window gave first) throws its sentence. */
  send(id: string, events: EventParams[]): Promise<void>;
  createSession(params: SessionCreateParams): Promise<Session>;
  /** Deletes the session: its log and sandbox, on the runtime that holds them. */
  deleteSession(id: string): Promise<void>;
  /**
   * Continues a session its log shows unfinished. In-process: drives it here, false when another process does. A
   * detached runtime drives its sessions itself (it resumes interrupted ones when it starts): true when it says so.
   */
  resume(id: string): Promise<boolean>;
  /** Replaces the session's budget (a raised cap lets a held turn go on); a refusal (not above what it spent) throws its sentence. */
  setBudget(id: string, budget: BudgetLimit): Promise<Session>;
  changes(id: string): Promise<{ patch: string; files: FileChange[] }>;
  /** One file of the session's copy, at its baseline or now; null when absent on that side. */
  readFile(id: string, path: string, side: 'baseline' | 'current'): Promise<Buffer | null>;
  /** Whether the runtime reads the client's workspace in place: the probe file the client just wrote there (workspace-source.ts). */
  probeWorkspace(params: WorkspaceProbeParams): Promise<WorkspaceProbeResult>;

  /** The session's checkpoints, oldest first (the log's hangar.checkpoint events, as the API's checkpoint list serves them). */
  checkpoints(id: string): Promise<Checkpoint[]>;
  /** The session's files back to a checkpoint, its conversation continuing from there; an unknown checkpoint throws the runtime's sentence. */
  rewind(id: string, checkpointId: string): Promise<RewindResult>;
  /** A new idle session from the log up to `at` (all of it when absent) with the files of that point. */
  fork(id: string, params: SessionForkParams): Promise<Session>;

  /** The files the session's agent left in /mnt/session/outputs/ (captured after each idle). */
  listOutputs(id: string): Promise<FileMetadata[]>;
  retrieveFile(fileId: string): Promise<FileMetadata>;
  /** Writes a file of the runtime's Files API (an output) to `to` on this machine. */
  saveFile(fileId: string, to: string): Promise<void>;
  /** Uploads a file of this machine into the runtime's Files API, for a new session or attachFile; cancellable, with its bytes' progress. */
  uploadFile(localPath: string, opts?: UploadOptions): Promise<FileMetadata>;
  /**
   * Whether the runtime restores a workspace upload of only what differs from HEAD (src/wire/runtime-info.ts); an
   * older `hangar serve` does not, and gets every file.
   */
  acceptsUploadDelta(): Promise<boolean>;
  /** Mounts an uploaded file in a session; its agent is told with the next message. */
  attachFile(id: string, params: FileResourceParams): Promise<void>;

  listAgents(): Promise<Agent[]>;
  retrieveAgent(id: string, version?: number): Promise<Agent>;
  createAgent(params: AgentCreateParams): Promise<Agent>;
  /** A new version of the agent; what the runtime refuses (a stale version, an unknown MCP server) throws its sentence. */
  updateAgent(id: string, params: AgentUpdateParams): Promise<Agent>;
  /** Every version of the agent, in the runtime's order. */
  agentVersions(id: string): Promise<Agent[]>;
  /** The environment named "default", made when missing, with these Hangar metadata keys written when they differ. */
  defaultEnvironment(metadata: Record<string, string | null>): Promise<Environment>;

  /** The MCP connections of a session this process drives; null when they live elsewhere. */
  mcpStatus(id: string): McpServerState[] | null;
  /** Calls back when the list of sessions may have changed (created, deleted, a status moved elsewhere). */
  watchSessions(onChange: () => void): () => void;
  onConnection(listener: (state: ConnectionState) => void): () => void;
  close(): Promise<void>;
}
