import type { PermissionPolicy, SessionAgent, ToolEvaluation } from '../wire';
import { BUILTIN_TOOL_NAMES, type BuiltinToolName } from '../wire';

// Resolves which tools an agent offers and how each call is permitted (reference §5.3):
// per-tool config → toolset default_config → toolset default (always_allow for the agent toolset,
// always_ask for MCP toolsets).

export interface ToolPolicies {
  builtin: Map<BuiltinToolName, PermissionPolicy>;
  mcp: Map<string, { default: PermissionPolicy; enabled: boolean; tools: Map<string, { enabled: boolean; policy: PermissionPolicy }> }>;
  custom: Set<string>;
}

export function resolvePolicies(agent: Pick<SessionAgent, 'tools'>): ToolPolicies {
  const builtin = new Map<BuiltinToolName, PermissionPolicy>();
  const mcp: ToolPolicies['mcp'] = new Map();
  const custom = new Set<string>();
  for (const tool of agent.tools) {
    if (tool.type === 'agent_toolset_20260401') {
      for (const name of BUILTIN_TOOL_NAMES) {
        const cfg = tool.configs.find((c) => c.name === name);
        const enabled = cfg?.enabled ?? tool.default_config.enabled;
        if (enabled) builtin.set(name, cfg?.permission_policy ?? tool.default_config.permission_policy);
      }
    } else if (tool.type === 'mcp_toolset') {
      mcp.set(tool.mcp_server_name, {
        default: tool.default_config.permission_policy,
        enabled: tool.default_config.enabled,
        tools: new Map(tool.configs.map((c) => [c.name, { enabled: c.enabled, policy: c.permission_policy }])),
      });
    } else custom.add(tool.name);
  }
  return { builtin, mcp, custom };
}

export interface Evaluated {
  permission: 'allow' | 'ask' | 'deny';
  evaluation: ToolEvaluation;
}

export function evaluate(policy: PermissionPolicy, name: string, input: Record<string, unknown>): Evaluated {
  if (policy.type === 'always_allow') return { permission: 'allow', evaluation: { type: 'always_allow' } };
  if (policy.type === 'always_ask') return { permission: 'ask', evaluation: { type: 'always_ask' } };
  const risky = name === 'bash' && typeof input.command === 'string' && isHighRisk(input.command);
  const permission = risky ? 'ask' : 'allow';
  return {
    permission,
    evaluation: { type: 'auto', evaluated_permission: risky ? { type: 'ask', reason_code: 'high_risk' } : { type: 'allow' } },
  };
}

// The local "auto" judge: the sandbox contains most damage, so only commands that reach outside it or destroy
// its history are escalated to the user.
const HIGH_RISK = [
  /\brm\s+-[a-z]*r[a-z]*f?\s+(\/|~|\$HOME)(\s|$)/,
  /\bgit\s+push\b/,
  /\b(curl|wget)\b[^|]*\|\s*(ba|z)?sh\b/,
  /\bchmod\s+-R\s+777\b/,
  /\bmkfs\b|\bdd\s+if=/,
  /\bssh\b|\bscp\b/,
];

export function isHighRisk(command: string): boolean {
  return HIGH_RISK.some((re) => re.test(command));
}

// ---- "Allow for this session" ----
// A per-tool permission override lives in the session's agent snapshot (a session update, reference §2: `agent.tools`
// replaced session-locally, logged as `session.updated`), so it is in the log, survives reloads and applies to the
// next wake. These are the pure edits of that snapshot; `src/runtime/session-permissions.ts` applies them.

/** One tool as a permission override names it: a built-in tool, or an MCP server's tool. */
export interface ToolRef {
  name: string;
  mcp_server_name?: string;
}

type AgentTools = SessionAgent['tools'];
type ToolConfig = { name: string; enabled: boolean; permission_policy: PermissionPolicy };

export function toolLabel(ref: ToolRef): string {
  return ref.mcp_server_name ? `${ref.mcp_server_name}/${ref.name}` : ref.name;
}

/** The policy a call of the tool is evaluated with, or null when the tools do not offer it. */
export function policyOf(tools: AgentTools, ref: ToolRef): PermissionPolicy | null {
  const p = resolvePolicies({ tools });
  if (!ref.mcp_server_name) return p.builtin.get(ref.name as BuiltinToolName) ?? null;
  const set = p.mcp.get(ref.mcp_server_name);
  if (!set) return null;
  const own = set.tools.get(ref.name);
  if (own) return own.enabled ? own.policy : null;
  return set.enabled ? set.default : null;
}

/** The tools with the one tool's config replaced by `config`, or (undefined) with its own config removed. */
export function withToolConfig(tools: AgentTools, ref: ToolRef, config: ToolConfig | undefined): AgentTools {
  return tools.map((t) => {
    if (ref.mcp_server_name ? t.type !== 'mcp_toolset' || t.mcp_server_name !== ref.mcp_server_name : t.type !== 'agent_toolset_20260401') return t;
    if (t.type === 'custom') return t;
    const rest = t.configs.filter((c) => c.name !== ref.name);
    if (!config) return { ...t, configs: rest } as typeof t;
    const prior = t.configs.find((c) => c.name === ref.name);
    const next = t.type === 'agent_toolset_20260401' ? { ...prior, ...config, type: config.name } : config;
    return { ...t, configs: [...rest, next] } as typeof t;
  });
}

/** The config a tool has in a tool list (explicit or from its toolset's default), or undefined when it has none. */
export function configOf(tools: AgentTools, ref: ToolRef): ToolConfig | undefined {
  for (const t of tools) {
    if (t.type === 'custom') continue;
    if (ref.mcp_server_name ? t.type === 'mcp_toolset' && t.mcp_server_name === ref.mcp_server_name : t.type === 'agent_toolset_20260401') {
      const c = t.configs.find((x) => x.name === ref.name);
      return c ? { name: c.name, enabled: c.enabled, permission_policy: c.permission_policy } : undefined;
    }
  }
  return undefined;
}

/** The session's tools with the tool always allowed. */
export function allowTool(tools: AgentTools, ref: ToolRef): AgentTools {
  return withToolConfig(tools, ref, { name: ref.name, enabled: true, permission_policy: { type: 'always_allow' } });
}

/** The session's tools with the tool back to the agent's own config (`agentTools`: the agent version's tools). */
export function revokeTool(tools: AgentTools, agentTools: AgentTools, ref: ToolRef): AgentTools {
  return withToolConfig(tools, ref, configOf(agentTools, ref));
}

/**
 * The tools the session allows always where the agent itself would not: those the user allowed for this session.
 * `candidates` names the tools to check (every tool a call was made to, say); built-in tools are always checked.
 */
export function sessionAllowances(tools: AgentTools, agentTools: AgentTools, candidates: readonly ToolRef[] = []): ToolRef[] {
  const refs: ToolRef[] = [...BUILTIN_TOOL_NAMES.map((name) => ({ name })), ...candidates.filter((c) => c.mcp_server_name)];
  const seen = new Set<string>();
  return refs.filter((ref) => {
    const key = toolLabel(ref);
    if (seen.has(key)) return false;
    seen.add(key);
    return policyOf(tools, ref)?.type === 'always_allow' && policyOf(agentTools, ref)?.type !== 'always_allow';
  });
}
