import type Anthropic from '@anthropic-ai/sdk';
import * as z from 'zod';
import type { SessionAgent, SessionEvent } from '../../wire';
import { InlineAgentParams } from '../../wire';
import type { ToolOutcome } from '../../wire/tool-outcome';
import type { ToolOutputSnapshot } from '../../wire/tool-output';
import type { Sandbox } from '../../sandbox/types';
import type { PendingToolUse } from '../state';
import { errorOutcome, ToolRouter, type Classified, type HostTools, type McpTools, type ModelTool } from '../tools';

// The coordinator's delegation tools (reference §7.9): `list_agents` shows the roster and the threads started so far;
// `send_to_agent` starts a sub-agent on a task (naming a roster agent, or, with inline agents enabled, defining one in
// `inline_agent`) or sends a running or finished thread a follow-up. Both return at once; a sub-agent's answer arrives later as `agent.thread_message_received`, which wakes
// the coordinator. They run host-side, never in the sandbox, and need no permission.

export const SendToAgentInput = z
  .object({
    agent: z.string().min(1).optional(),
    inline_agent: InlineAgentParams.optional(),
    session_thread_id: z.string().min(1).optional(),
    message: z.string().min(1, 'message must not be empty'),
  })
  .strict()
  .refine(
    (i) => [i.agent, i.inline_agent, i.session_thread_id].filter((x) => x !== undefined).length === 1,
    'give exactly one of agent (a roster agent to start), inline_agent (an agent you define, to start) or session_thread_id (a thread to message)',
  );
export type SendToAgentInput = z.infer<typeof SendToAgentInput>;

export const DELEGATION_TOOL_NAMES: ReadonlySet<string> = new Set(['list_agents', 'send_to_agent']);

export function delegationDefinitions(roster: readonly string[], inline: boolean): Anthropic.Tool[] {
  const starts = [roster.length > 0 ? `\`agent\` (one of: ${roster.join(', ')})` : null, inline ? '`inline_agent` (an agent you define)' : null].filter((x) => x !== null).join(' or ');
  return [
    {
      name: 'list_agents',
      description: 'Lists the agents you can delegate to and the threads you started, with their status.',
      input_schema: { type: 'object', properties: {} },
    },
    {
      name: 'send_to_agent',
      description:
        `Starts a sub-agent on a task in a new thread (give ${starts}), or sends an existing thread a follow-up (give \`session_thread_id\`). ` +
        'Returns at once with the thread id; threads run in parallel and share your files. Each answer arrives later as a message from that agent.',
      input_schema: {
        type: 'object',
        properties: {
          ...(roster.length > 0 ? { agent: { type: 'string', enum: [...roster], description: 'The roster agent to start on the task.' } } : {}),
          ...(inline ? { inline_agent: INLINE_AGENT_SCHEMA } : {}),
          session_thread_id: { type: 'string', description: 'A thread you started, to send it a follow-up.' },
          message: { type: 'string', description: 'The task or the follow-up, self-contained: the agent does not see your conversation.' },
        },
        required: ['message'],
      },
    },
  ];
}

// What the model sees of InlineAgentParams; the zod schema decides.
const POLICY = { type: 'object', properties: { type: { type: 'string', enum: ['always_allow', 'auto', 'always_ask'] } }, required: ['type'] };
const INLINE_AGENT_SCHEMA = {
  type: 'object',
  description:
    'A sub-agent you define for this task (not saved). Only name is required; what you leave out is yours (model, tools). Its tools can only be a subset of yours, ' +
    'each with a permission policy as strict as yours or stricter.',
  properties: {
    name: { type: 'string', description: 'A short name, different from the roster agents\' names.' },
    description: { type: 'string' },
    system: { type: 'string', description: 'Its system prompt.' },
    model: { type: 'string', description: 'A model id; default: yours.' },
    tools: {
      type: 'array',
      description:
        'Default: all of yours. Else the same shapes as an agent\'s tools, e.g. {"type":"agent_toolset_20260401","default_config":{"enabled":false},"configs":[{"name":"read","enabled":true}]}, ' +
        '{"type":"mcp_toolset","mcp_server_name":"…"} or {"type":"custom","name":"…"}.',
      items: { type: 'object', properties: { type: { type: 'string', enum: ['agent_toolset_20260401', 'mcp_toolset', 'custom'] }, default_config: { type: 'object', properties: { enabled: { type: 'boolean' }, permission_policy: POLICY } } }, required: ['type'] },
    },
  },
  required: ['name'],
};

export interface Delegator {
  roster(): readonly string[];
  /** Whether the coordinator may define agents itself (`inline_agent`). */
  inlineAgents(): boolean;
  list(): ToolOutcome;
  send(toolUseId: string, input: SendToAgentInput): Promise<ToolOutcome>;
}

/** The coordinator's router: its agent's own tools plus the delegation tools. */
export class CoordinatorRouter extends ToolRouter {
  constructor(
    agent: Pick<SessionAgent, 'tools'>,
    sandbox: () => Promise<Sandbox>,
    mcp: McpTools | null,
    redact: ((outcome: ToolOutcome) => ToolOutcome | Promise<ToolOutcome>) | undefined,
    private readonly delegator: Delegator,
    host: HostTools | null = null,
  ) {
    super(agent, sandbox, mcp, redact, undefined, host);
  }

  override definitions(): ModelTool[] {
    return [...super.definitions(), ...delegationDefinitions(this.delegator.roster(), this.delegator.inlineAgents())];
  }

  override classify(modelName: string, input: Record<string, unknown>): Classified | null {
    if (DELEGATION_TOOL_NAMES.has(modelName)) return { kind: 'builtin', name: modelName, evaluated: { permission: 'allow', evaluation: { type: 'always_allow' } } };
    return super.classify(modelName, input);
  }

  override async execute(p: PendingToolUse, signal: AbortSignal, onOutput?: (snapshot: ToolOutputSnapshot) => void, events?: readonly SessionEvent[]): Promise<ToolOutcome> {
    if (p.kind !== 'builtin' || !DELEGATION_TOOL_NAMES.has(p.name)) return super.execute(p, signal, onOutput, events);
    if (p.name === 'list_agents') return this.delegator.list();
    const input = SendToAgentInput.safeParse(p.input);
    if (!input.success) return errorOutcome(`send_to_agent: ${input.error.issues.map((i) => (i.path.length > 0 ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; ')}`);
    return this.delegator.send(p.id, input.data);
  }
}
