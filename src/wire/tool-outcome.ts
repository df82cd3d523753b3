import * as z from 'zod';
import { lazySchema } from './lazy';
import { ToolResultBlock } from './content';

// What running one tool call yields, whoever runs it (the sandbox's built-in tools, an MCP server, the tool server
// inside a container): the content and error flag an agent.tool_result or agent.mcp_tool_result carries.

export const ToolOutcome = lazySchema(() => z.object({ content: z.array(ToolResultBlock), is_error: z.boolean() }));
export type ToolOutcome = z.infer<typeof ToolOutcome>;
