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
