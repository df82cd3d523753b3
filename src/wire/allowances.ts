import * as z from 'zod';
import { lazySchema } from './lazy';
import { BUILTIN_TOOL_NAMES } from './agent';

// "Allow for this session" over Hangar's API (issue #15): the user's per-session override of a tool's permission
// policy (runtime/session-permissions.ts), for a client that is not in the runtime's process (VS Code on a detached
// runtime). Not in the hosted API, like /checkpoints:
//   GET  /v1/sessions/{id}/allowances          what the session's agents allow for the rest of the session
//   POST /v1/sessions/{id}/allowances          {tool, session_thread_id?}: allow it (and the calls of it waiting now)
//   POST /v1/sessions/{id}/allowances/revoke   {tool, session_thread_id?}: calls of it ask again
// Both POSTs answer with the allowances as they are afterwards.

/** A tool as the agent's toolsets name it: a built-in tool, or an MCP server's tool. */
export const ToolRef = lazySchema(() => z
  .strictObject({
    name: z.string().min(1, 'tool.name names the tool, such as bash or an MCP tool\'s name').max(256),
    mcp_server_name: z.string().min(1).max(256).optional(),
  })
  .refine((t) => t.mcp_server_name !== undefined || (BUILTIN_TOOL_NAMES as readonly string[]).includes(t.name), {
    message: `tool.name is not a built-in tool (${BUILTIN_TOOL_NAMES.join(', ')}); an MCP server's tool also gives mcp_server_name`,
    path: ['name'],
  }));
export type ToolRefParams = z.infer<typeof ToolRef>;

export const AllowanceParams = lazySchema(() => z.strictObject({
  tool: ToolRef,
  /** A sub-agent thread: the allowance is its roster agent's (absent, or the primary thread: the coordinator's). */
  session_thread_id: z.string().min(1).optional(),
}));
export type AllowanceParams = z.infer<typeof AllowanceParams>;

export const SessionAllowances = lazySchema(() => z.strictObject({
  type: z.literal('session_allowances'),
  /** The coordinator's (the session's own agent's). */
  tools: z.array(ToolRef),
  /** Each roster agent that has sub-agent threads: its threads (oldest first; any of them names it) and its allowances. */
  sub_agents: z.array(z.strictObject({ agent: z.string(), threads: z.array(z.string()), tools: z.array(ToolRef) })),
}));
export type SessionAllowances = z.infer<typeof SessionAllowances>;
