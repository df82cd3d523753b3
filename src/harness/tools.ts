import type Anthropic from '@anthropic-ai/sdk';
import type { SessionAgent, SessionEvent, ToolResultBlock } from '../wire';
import { BuiltinToolName } from '../wire';
import type { Sandbox } from '../sandbox/types';
import { SandboxDamagedError } from '../sandbox/errors';
import type { ToolOutcome } from '../wire/tool-outcome';
import type { ToolOutputSnapshot } from '../wire/tool-output';
import { builtinToolDefinitions, isSandboxToolName } from '../tools/schemas';
import { evaluate, resolvePolicies, type Evaluated, type ToolPolicies } from './permissions';
import type { PendingToolUse, ToolKind } from './state';

// Routes a tool call to its hands: built-in tools to the sandbox, web_fetch and web_search to the host (HostTools),
// MCP tools to their server (host side), custom tools back to the client (requires_action).

/** One MCP server of a session as its connection sees it (what surfaces show as the server's status). */
export interface McpServerState {
  name: string;
  type: 'url' | 'stdio';
  state: 'connecting' | 'connected' | 'disconnected' | 'closed';
  /** The server's tool names (not the model-facing `<server>__<tool>` names). */
  tools: string[];
  /** Why it is not connected; never contains a credential. */
  error: string | null;
  /** Calls sent and not answered yet. */
  calls: number;
  pid?: number;
}

export interface McpTools {
  definitions(): Anthropic.Tool[];
  /** Maps a model-facing tool name to its server and tool, or null if it is not an MCP tool. */
  resolve(modelName: string): { server: string; tool: string } | null;
  call(server: string, tool: string, input: Record<string, unknown>, signal: AbortSignal): Promise<ToolOutcome>;
  /** Ends the connections (stdio servers are stopped). */
  close?(): Promise<void>;
  /** Resolves when definitions() is worth a model request (servers connecting have had a bounded first attempt). */
  ready?(signal: AbortSignal): Promise<void>;
  /** The servers and their connection state, for status displays. */
  status?(): McpServerState[];
}

/**
 * Built-in tools that run on the host, never in the sandbox (web_fetch, web_search: src/web implements it). It offers
 * only the tools it can run for this agent; the others are not offered, and `unavailable` says why.
 */
/** A tool as the model is offered it: one Hangar runs, or a server tool its provider runs (web search). */
export type ModelTool = Anthropic.Tool | Anthropic.WebSearchTool20250305;

export interface HostTools {
  /** Tools the host runs, and server tools the model's provider runs (web_search_20250305). */
  definitions(): ModelTool[];
  runs(name: string): boolean;
  /** Why an enabled host tool is not offered (no search backend, …); null when it is offered or not enabled. */
  unavailable(name: string): string | null;
  /** `events`: the conversation so far (web_fetch fetches only URLs it has shown). */
  call(name: string, input: Record<string, unknown>, events: readonly SessionEvent[], signal: AbortSignal): Promise<ToolOutcome>;
}

export interface Classified {
  kind: ToolKind;
  /** The name recorded on the event: the tool's own name (for MCP, without the server prefix). */
  name: string;
  mcpServer?: string;
  evaluated: Evaluated;
}

export class ToolRouter {
  private policies: ToolPolicies;
  /** The sandbox this router ran a built-in tool in, so closeShell() never provisions one only to close a shell. */
  private used: Sandbox | null = null;

  constructor(
    private agent: Pick<SessionAgent, 'tools'>,
    private readonly sandbox: () => Promise<Sandbox>,
    private readonly mcp: McpTools | null,
    private readonly redact: (outcome: ToolOutcome) => ToolOutcome | Promise<ToolOutcome> = (o) => o,
    /** A shell of its own in the sandbox (a sub-agent thread's id); absent, the session's shell (ExecuteOptions.shell). */
    private readonly shell?: string,
    private readonly host: HostTools | null = null,
  ) {
    this.policies = resolvePolicies(agent);
  }

  /** The agent's tools changed while it runs (a sub-agent's "Allow for this session"): later calls follow them. */
  retool(agent: Pick<SessionAgent, 'tools'>): void {
    this.agent = agent;
    this.policies = resolvePolicies(agent);
  }

  get usesSandbox(): boolean {
    return [...this.policies.builtin.keys()].some(isSandboxToolName);
  }

  definitions(): ModelTool[] {
    const builtin = builtinToolDefinitions([...this.policies.builtin.keys()].filter(isSandboxToolName)) as Anthropic.Tool[];
    const host = (this.host?.definitions() ?? []).filter((d) => this.policies.builtin.has(d.name as BuiltinToolName));
    const custom = this.agent.tools.flatMap((t) =>
      t.type === 'custom' ? [{ name: t.name, description: t.description, input_schema: t.input_schema as Anthropic.Tool.InputSchema }] : [],
    );
    return [...builtin, ...host, ...(this.mcp?.definitions() ?? []), ...custom];
  }

  /** Waits (bounded) for MCP servers still making their first connection attempt, so their tools can be offered. */
  async ready(signal: AbortSignal): Promise<void> {
    await this.mcp?.ready?.(signal);
  }

  /** Decides kind and permission for a tool the model asked for; null = no such tool is enabled. */
  classify(modelName: string, input: Record<string, unknown>): Classified | null {
    const builtin = BuiltinToolName.safeParse(modelName);
    if (builtin.success) {
      const runs = isSandboxToolName(builtin.data) || this.host?.runs(builtin.data) === true;
      const policy = runs ? this.policies.builtin.get(builtin.data) : undefined;
      return policy ? { kind: 'builtin', name: modelName, evaluated: evaluate(policy, modelName, input) } : null;
    }
    if (this.policies.custom.has(modelName)) return { kind: 'custom', name: modelName, evaluated: { permission: 'allow', evaluation: { type: 'always_allow' } } };
    const mcp = this.mcp?.resolve(modelName);
    const toolset = mcp ? this.policies.mcp.get(mcp.server) : undefined;
    if (mcp && toolset) {
      const cfg = toolset.tools.get(mcp.tool);
      if (!(cfg?.enabled ?? toolset.enabled)) return null;
      return { kind: 'mcp', name: mcp.tool, mcpServer: mcp.server, evaluated: evaluate(cfg?.policy ?? toolset.default, mcp.tool, input) };
    }
    return null;
  }

  /** Why the model may not call `name` although the agent enables it (a host tool without what it needs); else null. */
  unavailable(name: string): string | null {
    return this.policies.builtin.has(name as BuiltinToolName) ? (this.host?.unavailable(name) ?? null) : null;
  }

  /** `onOutput` gets the live end of a built-in command's output, unscrubbed (toolPreviewer scrubs it). */
  async execute(p: PendingToolUse, signal: AbortSignal, onOutput?: (snapshot: ToolOutputSnapshot) => void, events: readonly SessionEvent[] = []): Promise<ToolOutcome> {
    try {
      if (p.kind === 'builtin' && this.host?.runs(p.name)) return await this.redact(await this.host.call(p.name, p.input, events, signal));
      if (p.kind === 'builtin') {
        const sandbox = await this.sandbox();
        this.used = sandbox;
        return await this.redact(await sandbox.execute(p.name, p.input, { signal, onOutput, ...(this.shell === undefined ? {} : { shell: this.shell }) }));
      }
      if (p.kind === 'mcp' && this.mcp && p.mcpServer) return await this.redact(await this.mcp.call(p.mcpServer, p.name, p.input, signal));
      return errorOutcome(`tool ${p.name} cannot be executed by the harness`);
    } catch (err) {
      // Hands no retry can mend are not one call's failure: the driver ends the turn (ARCHITECTURE.md invariant 7).
      if (signal.aborted || err instanceof SandboxDamagedError) throw err;
      // An exception's message can quote what the tool saw, so it is redacted like any other outcome.
      return this.redact(errorOutcome(`${p.name} failed: ${err instanceof Error ? err.message : String(err)}`));
    }
  }

  /** Ends this router's own shell, when it has one and used it; the session's shell lives as long as its sandbox. */
  async closeShell(): Promise<void> {
    if (this.shell !== undefined) await this.used?.closeShell(this.shell).catch(() => undefined);
  }
}

export function errorOutcome(text: string): ToolOutcome {
  return { content: [textBlock(text)], is_error: true };
}

export function textBlock(text: string): ToolResultBlock {
  return { type: 'text', text };
}
