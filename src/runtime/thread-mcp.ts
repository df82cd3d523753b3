import type { NewEvent, SessionAgent } from '../wire';
import type { ToolOutcome } from '../wire/tool-outcome';
import { errorOutcome, type McpServerState, type McpTools } from '../harness/tools';
import type { SessionRecord } from './session-record';

// MCP servers of the sub-agents of a multi-agent session (ARCHITECTURE.md, Multi-agent sessions): each sub-agent thread
// gets connections of its own, made by the runtime's MCP factory from its roster agent's `mcp_servers` and toolsets,
// with credentials from the session's vaults as for the coordinator. Its errors are logged in its thread. A thread's
// connections end when it is archived or the session is released here.

type McpFactory = (record: SessionRecord, emit: (events: NewEvent[]) => Promise<void>) => Promise<McpTools | null>;

export class ThreadMcp {
  private readonly threads = new Map<string, DeferredMcp>();

  constructor(
    private readonly factory: McpFactory | undefined,
    private readonly record: SessionRecord,
    /** Appends events to the session's log (scrubbed), as the session's own MCP errors are. */
    private readonly emit: (events: NewEvent[]) => Promise<void>,
  ) {}

  /** The MCP tools of a sub-agent thread (null when its agent has no MCP servers); made once per thread. */
  for(agent: Omit<SessionAgent, 'multiagent'>, threadId: string): McpTools | null {
    if (!this.factory || agent.mcp_servers.length === 0) return null;
    let tools = this.threads.get(threadId);
    if (!tools) {
      // The thread's errors carry its private tag, so they show in its tab and stream, not as the coordinator's.
      const emit = (events: NewEvent[]) => this.emit(events.map((e) => ({ ...e, _hangar: { ...e._hangar, thread: threadId } }) as NewEvent));
      tools = new DeferredMcp(this.factory({ ...this.record, agent: { ...agent, multiagent: null } }, emit));
      this.threads.set(threadId, tools);
    }
    return tools;
  }

  /** Ends a thread's connections (stdio servers are stopped). */
  async close(threadId: string): Promise<void> {
    const tools = this.threads.get(threadId);
    this.threads.delete(threadId);
    await tools?.close();
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.threads.keys()].map((id) => this.close(id)));
  }
}

/**
 * McpTools that a factory is still making: the factory returns at once (connecting goes on in the background), but it
 * is async and a thread's router is made synchronously. A model request awaits ready(), so by the time the model names
 * a tool the connections exist.
 */
class DeferredMcp implements McpTools {
  private tools: McpTools | null = null;
  private readonly loading: Promise<McpTools | null>;
  private failure: string | null = null;

  constructor(making: Promise<McpTools | null>) {
    this.loading = making.then(
      (t) => (this.tools = t),
      (err: unknown) => {
        this.failure = err instanceof Error ? err.message : String(err);
        return null;
      },
    );
  }

  definitions() {
    return this.tools?.definitions() ?? [];
  }

  resolve(modelName: string) {
    return this.tools?.resolve(modelName) ?? null;
  }

  async call(server: string, tool: string, input: Record<string, unknown>, signal: AbortSignal): Promise<ToolOutcome> {
    const tools = await this.loading;
    if (!tools) return errorOutcome(`MCP server ${server} is not available in this thread${this.failure ? `: ${this.failure}` : ''}.`);
    return tools.call(server, tool, input, signal);
  }

  async ready(signal: AbortSignal): Promise<void> {
    await (await this.loading)?.ready?.(signal);
  }

  status(): McpServerState[] {
    return this.tools?.status?.() ?? [];
  }

  async close(): Promise<void> {
    await (await this.loading)?.close?.();
  }
}
