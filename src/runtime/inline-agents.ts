import type { AgentToolset, InlineAgent, InlineAgentParams, McpToolset, ModelCatalog, PermissionPolicy, SessionAgent, Tool, ToolParams } from '../wire';
import { normalizeModel } from './agents';
import { invalid } from './errors';

// Resolves the definition a coordinator's model gives for an inline sub-agent (send_to_agent's `inline_agent`) against
// the coordinator as the session runs it (ARCHITECTURE.md, Multi-agent sessions). An inline agent never has more
// power than its coordinator: its tools start as the coordinator's and may only narrow. A tool it names (in `configs`)
// must be enabled for the coordinator if it enables it, and its permission policy must be at least as strict
// (always_allow < auto < always_ask), else the definition is refused; a `default_config` is clamped to the
// coordinator's per tool (it cannot enable what the coordinator lacks nor loosen a policy); what the definition
// leaves out is the coordinator's. MCP servers are the coordinator's (the model names a
// server, never its address); custom tools are the coordinator's own definitions, named. A refusal is an `invalid`
// error whose message the supervisor hands the model as its tool error.

const STRICTNESS: Record<PermissionPolicy['type'], number> = { always_allow: 0, auto: 1, always_ask: 2 };

export function defineInlineAgent(params: InlineAgentParams, coordinator: SessionAgent, catalog: ModelCatalog): InlineAgent {
  const tools = params.tools == null ? coordinator.tools : narrowTools(params.tools, coordinator.tools);
  const servers = new Set(tools.flatMap((t) => (t.type === 'mcp_toolset' ? [t.mcp_server_name] : [])));
  return {
    type: 'inline',
    name: params.name,
    description: params.description ?? null,
    system: params.system ?? null,
    model: params.model == null ? coordinator.model : normalizeModel(params.model, catalog),
    tools,
    mcp_servers: coordinator.mcp_servers.filter((s) => servers.has(s.name)),
    skills: [],
    execution_identity: coordinator.execution_identity,
  };
}

function narrowTools(wanted: readonly ToolParams[], own: readonly Tool[]): Tool[] {
  const seen = new Set<string>();
  return wanted.map((t): Tool => {
    const key = t.type === 'mcp_toolset' ? `mcp:${t.mcp_server_name}` : t.type === 'custom' ? `custom:${t.name}` : t.type;
    if (seen.has(key)) throw invalid(`tools lists ${describe(t)} twice; list it once.`);
    seen.add(key);
    if (t.type === 'agent_toolset_20260401') {
      const base = own.find((x): x is AgentToolset => x.type === t.type);
      if (!base) throw invalid('tools: you have no agent_toolset_20260401 (bash, read, write, …), so your sub-agent cannot have it either.');
      const configs = base.configs.map((c) => {
        const named = t.configs?.find((x) => x.name === c.name);
        return { ...c, ...(named ? narrow(c.name, named, c) : clamp(t.default_config, c)) };
      });
      return { ...base, default_config: clamp(t.default_config, base.default_config), configs };
    }
    if (t.type === 'mcp_toolset') {
      const base = own.find((x): x is McpToolset => x.type === t.type && x.mcp_server_name === t.mcp_server_name);
      if (!base) throw invalid(`tools: you have no MCP server "${t.mcp_server_name}"; your sub-agent can use only your own servers (${mcpNames(own) || 'you have none'}).`);
      const named = new Map((t.configs ?? []).map((c) => [c.name, c]));
      const configs = base.configs.map((c) => {
        const mine = named.get(c.name);
        return { ...c, ...(mine ? narrow(`${t.mcp_server_name} tool ${c.name}`, mine, c) : clamp(t.default_config, c)) };
      });
      // A tool the coordinator has no config for follows its default.
      for (const [name, c] of named) if (!base.configs.some((x) => x.name === name)) configs.push({ name, ...narrow(`${t.mcp_server_name} tool ${name}`, c, base.default_config) });
      return { ...base, default_config: clamp(t.default_config, base.default_config), configs };
    }
    const base = own.find((x) => x.type === 'custom' && x.name === t.name);
    if (!base) throw invalid(`tools: you have no custom tool "${t.name}"; your sub-agent can use only your own custom tools.`);
    return base;
  });
}

interface Setting {
  enabled: boolean;
  permission_policy: PermissionPolicy;
}
type SettingParams = { enabled?: boolean | null; permission_policy?: PermissionPolicy | null } | null | undefined;

/** A tool the sub-agent names: the coordinator's setting (`base`) overlaid by its own, refused if that widens it. */
function narrow(what: string, want: SettingParams, base: Setting): Setting {
  const enabled = want?.enabled ?? base.enabled;
  if (enabled && !base.enabled) throw invalid(`tools: ${what} is not enabled for you, so your sub-agent cannot enable it.`);
  const policy = want?.permission_policy ?? base.permission_policy;
  if (STRICTNESS[policy.type] < STRICTNESS[base.permission_policy.type]) {
    throw invalid(`tools: ${what} has permission_policy ${base.permission_policy.type} for you; your sub-agent's must be as strict or stricter (always_allow < auto < always_ask), not ${policy.type}.`);
  }
  return { enabled, permission_policy: policy };
}

/** A default the sub-agent gives: applied to each tool as far as it narrows the coordinator's setting. */
function clamp(want: SettingParams, base: Setting): Setting {
  const enabled = base.enabled && (want?.enabled ?? true);
  const policy = want?.permission_policy;
  return { enabled, permission_policy: policy && STRICTNESS[policy.type] > STRICTNESS[base.permission_policy.type] ? policy : base.permission_policy };
}

function describe(t: ToolParams): string {
  return t.type === 'mcp_toolset' ? `MCP server "${t.mcp_server_name}"` : t.type === 'custom' ? `custom tool "${t.name}"` : t.type;
}

function mcpNames(own: readonly Tool[]): string {
  return own.flatMap((t) => (t.type === 'mcp_toolset' ? [`"${t.mcp_server_name}"`] : [])).join(', ');
}
