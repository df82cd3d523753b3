import * as z from 'zod';
import { lazySchema } from './lazy';
import { Agent, AgentSkillParams, CustomTool, McpServer, ModelParams, ToolParams } from './agent';
import { Metadata, MetadataPatch, Timestamp } from './common';
import { UserMessageParams } from './events';
import { OutcomeEvaluation, UserDefineOutcomeParams } from './outcome';
import { FileResource, FileResourceParams } from './file';
import { GitHubRepositoryParams, GitHubRepositoryResource } from './repository';
import { MemoryStoreResource, MemoryStoreResourceParams } from './memory';
import { BudgetLimit } from './budget';
import { UploadedWorkspace, WorkspaceUpload } from './workspace';

// Sessions (reference §7.1). status, usage and stats are folds over the event log (src/log/fold.ts).
export const SessionStatus = lazySchema(() => z.enum(['idle', 'running', 'rescheduling', 'terminated']));
export type SessionStatus = z.infer<typeof SessionStatus>;

// A session's agent is a snapshot: its roster is expanded to the members' full definitions (without their own
// multiagent, depth 1), so later agent edits don't change a running session (reference §7.1).
export const SessionThreadAgent = lazySchema(() => Agent.omit({ created_at: true, updated_at: true, archived_at: true, metadata: true, multiagent: true }));
export type SessionThreadAgent = z.infer<typeof SessionThreadAgent>;
const Switch = lazySchema(() => z.discriminatedUnion('type', [z.object({ type: z.literal('enabled') }), z.object({ type: z.literal('disabled') })]));
export const SessionMultiagent = lazySchema(() => z.discriminatedUnion('type', [
  z.object({ type: z.literal('coordinator'), agents: z.array(SessionThreadAgent) }),
  z.object({
    type: z.literal('multiagent_20261001'),
    advisor: z.object({ type: z.literal('disabled') }),
    subagents: z.discriminatedUnion('type', [
      z.object({ type: z.literal('enabled'), inline_agents: Switch, predefined_agents: z.array(SessionThreadAgent) }),
      z.object({ type: z.literal('disabled') }),
    ]),
    workflows: z.object({ type: z.literal('disabled') }),
  }),
]));
export type SessionMultiagent = z.infer<typeof SessionMultiagent>;
// Records stored before rosters were resolved carried an unvalidated value that was never acted on: it reads as none.
export const SessionAgent = lazySchema(() => SessionThreadAgent.extend({ multiagent: SessionMultiagent.nullable().catch(null) }));
export type SessionAgent = z.infer<typeof SessionAgent>;

/** The agents a session's coordinator may start threads of, in roster order (empty for a single agent). */
export function sessionRoster(agent: SessionAgent): SessionThreadAgent[] {
  const m = agent.multiagent;
  if (!m) return [];
  if (m.type === 'coordinator') return m.agents;
  return m.subagents.type === 'enabled' ? m.subagents.predefined_agents : [];
}

/** Whether a session's coordinator may define sub-agents itself when it starts a thread (reference §7.9). */
export function inlineAgentsEnabled(agent: Pick<SessionAgent, 'multiagent'>): boolean {
  const m = agent.multiagent;
  return m?.type === 'multiagent_20261001' && m.subagents.type === 'enabled' && m.subagents.inline_agents.type === 'enabled';
}

/** Whether a session's agent delegates at all: it has a roster, or may define inline agents. */
export function delegates(agent: SessionAgent): boolean {
  return sessionRoster(agent).length > 0 || inlineAgentsEnabled(agent);
}

export const SessionUsage = lazySchema(() => z.object({
  input_tokens: z.number().int().nonnegative(),
  output_tokens: z.number().int().nonnegative(),
  cache_read_input_tokens: z.number().int().nonnegative(),
  cache_creation: z.object({ ephemeral_5m_input_tokens: z.number().int().nonnegative() }),
  active_seconds: z.number().nonnegative(),
  list_cost: z.object({ amount: z.string(), currency: z.literal('USD') }).nullable(),
  /** Searches run by the model's provider (reference §7.6); null until the first one. */
  server_tool_use: z.object({ web_search_requests: z.number().int().nonnegative() }).nullish(),
}));
export type SessionUsage = z.infer<typeof SessionUsage>;

// Hangar's own resource: the local repository a session works on (a copy of it lives in the sandbox). `path` is on the
// runtime's machine; a workspace uploaded from another machine is the runtime's unpacked copy, `upload` says whose.
export const LocalRepositoryResource = lazySchema(() => z.object({
  id: z.string(),
  type: z.literal('local_repository'),
  path: z.string(),
  mount_path: z.string(),
  upload: UploadedWorkspace.optional(),
  created_at: Timestamp,
  updated_at: Timestamp,
}));
export type LocalRepositoryResource = z.infer<typeof LocalRepositoryResource>;
export const SessionResource = lazySchema(() => z.discriminatedUnion('type', [LocalRepositoryResource, FileResource, GitHubRepositoryResource, MemoryStoreResource]));
export type SessionResource = z.infer<typeof SessionResource>;

export const Session = lazySchema(() => z.object({
  type: z.literal('session'),
  id: z.string(),
  title: z.string().nullable(),
  status: SessionStatus,
  environment_id: z.string(),
  agent: SessionAgent,
  resources: z.array(SessionResource),
  vault_ids: z.array(z.string()),
  metadata: Metadata,
  budget: BudgetLimit.nullable(),
  outcome_evaluations: z.array(OutcomeEvaluation),
  stats: z.object({ active_seconds: z.number().optional(), duration_seconds: z.number().optional() }),
  usage: SessionUsage,
  created_at: Timestamp,
  updated_at: Timestamp,
  archived_at: Timestamp.nullable(),
}));
export type Session = z.infer<typeof Session>;

export const AgentRef = lazySchema(() => z.union([
  z.string().min(1),
  z.object({ type: z.literal('agent'), id: z.string().min(1), version: z.number().int().min(1).optional() }),
  z.object({
    type: z.literal('agent_with_overrides'),
    id: z.string().min(1),
    version: z.number().int().min(1).optional(),
    model: ModelParams.optional(),
    system: z.string().nullish(),
    tools: z.array(ToolParams).optional(),
    mcp_servers: z.array(McpServer).optional(),
    skills: z.array(AgentSkillParams).optional(),
  }),
]));
export type AgentRef = z.infer<typeof AgentRef>;

export const LocalRepositoryParams = lazySchema(() => z.object({
  type: z.literal('local_repository'),
  /** The repository's path; with `upload`, its path on the client's machine (the runtime works on the archive). */
  path: z.string().min(1),
  mount_path: z.string().optional(),
  upload: WorkspaceUpload.optional(),
}));
export const ResourceParams = lazySchema(() => z.discriminatedUnion('type', [LocalRepositoryParams, FileResourceParams, GitHubRepositoryParams, MemoryStoreResourceParams]));
export type ResourceParams = z.infer<typeof ResourceParams>;

export const SessionCreateParams = lazySchema(() => z.object({
  agent: AgentRef,
  environment_id: z.string().min(1),
  title: z.string().max(512).nullish(),
  metadata: Metadata.optional(),
  resources: z
    .array(ResourceParams)
    .max(1000)
    .refine((rs) => rs.filter((r) => r.type === 'local_repository').length <= 1, 'Hangar sessions work on at most one local repository')
    .refine((rs) => rs.filter((r) => r.type === 'file').length <= 999, 'a session mounts at most 999 files')
    .optional(),
  vault_ids: z.array(z.string()).optional(),
  /** Omitted: no budget (a surface may fill in the user's default). */
  budget: BudgetLimit.optional(),
  initial_events: z
    .array(z.discriminatedUnion('type', [UserMessageParams, UserDefineOutcomeParams]))
    .max(50)
    .refine((events) => events.every((e) => e.type !== 'user.message' || !e.session_thread_id), 'initial_events go to the coordinator: a new session has no sub-agent threads to name yet')
    .optional(),
}));
export type SessionCreateParams = z.infer<typeof SessionCreateParams>;

export const SessionUpdateParams = lazySchema(() => z.object({
  title: z.string().max(512).nullish(),
  metadata: MetadataPatch.nullish(),
  agent: z.object({ tools: z.array(z.union([ToolParams, CustomTool])).optional(), mcp_servers: z.array(McpServer).optional() }).optional(),
  /** Replaces the budget of a session created with one; null removes it for good. */
  budget: BudgetLimit.nullish(),
}));
export type SessionUpdateParams = z.infer<typeof SessionUpdateParams>;
