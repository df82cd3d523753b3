import * as z from 'zod';
import { lazySchema } from './lazy';
import { Metadata, MetadataPatch, Timestamp } from './common';
import { AgentMultiagent, MultiagentParams } from './multiagent';

// Agent definitions (reference §5). Params are what clients send; the Agent object is the resolved response form.
export const BUILTIN_TOOL_NAMES = ['bash', 'read', 'write', 'edit', 'glob', 'grep', 'web_fetch', 'web_search'] as const;
export const BuiltinToolName = lazySchema(() => z.enum(BUILTIN_TOOL_NAMES));
export type BuiltinToolName = z.infer<typeof BuiltinToolName>;

export const PermissionPolicy = lazySchema(() => z.discriminatedUnion('type', [
  z.object({ type: z.literal('always_allow') }),
  z.object({ type: z.literal('always_ask') }),
  z.object({ type: z.literal('auto') }),
]));
export type PermissionPolicy = z.infer<typeof PermissionPolicy>;

const ToolsetDefaultConfigParams = lazySchema(() => z.object({
  enabled: z.boolean().nullish(),
  permission_policy: PermissionPolicy.nullish(),
}));
const BuiltinToolConfigParams = lazySchema(() => z.looseObject({
  name: BuiltinToolName,
  type: BuiltinToolName.optional(),
  enabled: z.boolean().nullish(),
  permission_policy: PermissionPolicy.nullish(),
}));
export const AgentToolsetParams = lazySchema(() => z.object({
  type: z.literal('agent_toolset_20260401'),
  default_config: ToolsetDefaultConfigParams.nullish(),
  configs: z.array(BuiltinToolConfigParams).nullish(),
}));
export const McpToolsetParams = lazySchema(() => z.object({
  type: z.literal('mcp_toolset'),
  mcp_server_name: z.string().min(1).max(255),
  default_config: ToolsetDefaultConfigParams.nullish(),
  configs: z
    .array(z.object({ name: z.string().min(1).max(128), enabled: z.boolean().nullish(), permission_policy: PermissionPolicy.nullish() }))
    .nullish(),
}));
export const CustomTool = lazySchema(() => z.object({
  type: z.literal('custom'),
  name: z.string().regex(/^[A-Za-z0-9_-]{1,128}$/, 'custom tool names are 1-128 characters of A-Z a-z 0-9 _ -'),
  description: z.string(),
  input_schema: z.looseObject({ type: z.literal('object') }),
}));
export const ToolParams = lazySchema(() => z.discriminatedUnion('type', [AgentToolsetParams, McpToolsetParams, CustomTool]));

const ToolsetDefaultConfig = lazySchema(() => z.object({ enabled: z.boolean(), permission_policy: PermissionPolicy }));
// The resolved web_fetch config always carries url_sources (the SDK declares it required and nullable); versions
// stored before it was emitted get null on read.
export const BuiltinToolConfig = lazySchema(() => z
  .looseObject({
    name: BuiltinToolName,
    type: BuiltinToolName,
    enabled: z.boolean(),
    permission_policy: PermissionPolicy,
  })
  .transform((c) => (c.name === 'web_fetch' && c.url_sources === undefined ? { ...c, url_sources: null } : c)));
export const AgentToolset = lazySchema(() => z.object({
  type: z.literal('agent_toolset_20260401'),
  default_config: ToolsetDefaultConfig,
  configs: z.array(BuiltinToolConfig),
}));
export const McpToolset = lazySchema(() => z.object({
  type: z.literal('mcp_toolset'),
  mcp_server_name: z.string(),
  default_config: ToolsetDefaultConfig,
  configs: z.array(z.object({ name: z.string(), enabled: z.boolean(), permission_policy: PermissionPolicy })),
}));
export const Tool = lazySchema(() => z.discriminatedUnion('type', [AgentToolset, McpToolset, CustomTool]));
export type Tool = z.infer<typeof Tool>;
export type AgentToolset = z.infer<typeof AgentToolset>;
export type McpToolset = z.infer<typeof McpToolset>;
export type CustomTool = z.infer<typeof CustomTool>;
export type ToolParams = z.infer<typeof ToolParams>;

// Hosted Managed Agents only know {type:'url'} servers; a local runtime can also launch stdio servers (Hangar extension).
export const McpServer = lazySchema(() => z.discriminatedUnion('type', [
  z.object({ type: z.literal('url'), name: z.string().min(1).max(255), url: z.url() }),
  z.object({
    type: z.literal('stdio'),
    name: z.string().min(1).max(255),
    command: z.string().min(1),
    args: z.array(z.string()).default([]),
    env: z.record(z.string(), z.string()).default({}),
  }),
]));
export type McpServer = z.infer<typeof McpServer>;

const Effort = lazySchema(() => z.enum(['low', 'medium', 'high', 'xhigh', 'max']));
// Hangar extension (hosted agents have no such field): how the model thinks, in the Messages API's own terms. Absent:
// the best the model supports (adaptive, else a token budget, else none); `disabled` turns thinking off.
export const ThinkingParams = lazySchema(() => z.discriminatedUnion('type', [
  z.object({ type: z.literal('adaptive') }),
  z.object({ type: z.literal('enabled'), budget_tokens: z.number().int().min(1024) }),
  z.object({ type: z.literal('disabled') }),
]));
export type ThinkingParams = z.infer<typeof ThinkingParams>;
export const ModelConfig = lazySchema(() => z.object({
  id: z.string().min(1),
  effort: z.object({ type: Effort }).optional(),
  speed: z.enum(['standard', 'fast']).optional(),
  inference_geo: z.string().optional(),
  thinking: ThinkingParams.optional(),
}));
export const ModelParams = lazySchema(() => z.union([
  z.string().min(1),
  z.object({
    id: z.string().min(1),
    effort: z.union([Effort, z.object({ type: Effort })]).nullish(),
    speed: z.enum(['standard', 'fast']).nullish(),
    inference_geo: z.string().nullish(),
    thinking: ThinkingParams.nullish(),
  }),
]));
export type ModelConfig = z.infer<typeof ModelConfig>;

// An agent's skill: given with an optional version (default latest), stored with the version as a string.
export const AgentSkillParams = lazySchema(() => z.object({ type: z.enum(['anthropic', 'custom']), skill_id: z.string().min(1), version: z.string().nullish() }));
export type AgentSkillParams = z.infer<typeof AgentSkillParams>;
export const AgentSkill = lazySchema(() => z.object({ type: z.enum(['anthropic', 'custom']), skill_id: z.string(), version: z.string() }));
export type AgentSkill = z.infer<typeof AgentSkill>;
export const ExecutionIdentity = lazySchema(() => z.union([
  z.object({ type: z.literal('service_account') }),
  z.object({ type: z.literal('aws_role'), role_arn: z.string().max(2048) }),
]));

export const Agent = lazySchema(() => z.object({
  type: z.literal('agent'),
  id: z.string(),
  version: z.number().int().min(1),
  name: z.string(),
  description: z.string().nullable(),
  system: z.string().nullable(),
  model: ModelConfig,
  tools: z.array(Tool),
  mcp_servers: z.array(McpServer),
  skills: z.array(AgentSkill),
  // Values stored before the configuration was validated were never acted on: they read as none.
  multiagent: AgentMultiagent.nullable().catch(null),
  execution_identity: ExecutionIdentity,
  metadata: Metadata,
  created_at: Timestamp,
  updated_at: Timestamp,
  archived_at: Timestamp.nullable(),
}));
export type Agent = z.infer<typeof Agent>;

const agentFields = () => ({
  description: z.string().max(2048).nullish(),
  system: z.string().max(100_000).nullish(),
  tools: z.array(ToolParams).max(256).nullish(),
  mcp_servers: z.array(McpServer).max(20).nullish(),
  skills: z.array(AgentSkillParams).nullish(),
  multiagent: MultiagentParams.nullish(),
  execution_identity: ExecutionIdentity.nullish(),
});
export const AgentCreateParams = lazySchema(() => z.object({
  name: z.string().min(1).max(256),
  model: ModelParams,
  ...agentFields(),
  metadata: Metadata.optional(),
}));
export const AgentUpdateParams = lazySchema(() => z.object({
  name: z.string().min(1).max(256).optional(),
  model: ModelParams.optional(),
  ...agentFields(),
  metadata: MetadataPatch.nullish(),
  version: z.number().int().min(1).optional(),
}));
export type AgentCreateParams = z.infer<typeof AgentCreateParams>;
export type AgentUpdateParams = z.infer<typeof AgentUpdateParams>;
