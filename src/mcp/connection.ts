import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ToolListChangedNotificationSchema, type CallToolResult, type Tool } from '@modelcontextprotocol/sdk/types.js';
import type { McpServer } from '../wire';
import type { McpCredential } from './credentials';
import { describe, McpServerError, openClient, type OpenClient } from './transport';

// One MCP server of one session: its client session, its current tool list, and what became of it. A server that
// went away is reopened by the next connect(); the tool list it had stays offered meanwhile, so the model's next
// call is what brings it back.

export type ServerState = 'connecting' | 'connected' | 'disconnected' | 'closed';

export interface ConnectionDeps {
  credential: () => Promise<McpCredential | undefined>;
  connectTimeoutMs: number;
  onToolsChanged: () => void;
  /** The open session ended without close(): the server exited or stopped answering. */
  onLost: (reason: string) => void;
}

export class ServerConnection {
  tools: Tool[] = [];
  state: ServerState = 'disconnected';
  /** Why the server is not connected (redact before showing). */
  error: string | null = null;
  /** Calls sent and not answered yet. */
  inFlight = 0;
  private open: OpenClient | null = null;
  private opening: Promise<OpenClient> | null = null;
  private listing = 0;
  /** The listing that follows a list_changed; true once it has replaced the tools. */
  private refreshing: Promise<boolean> | null = null;
  /** The client being opened or open: list_changed from any other is stale. */
  private current: Client | null = null;

  constructor(
    readonly spec: McpServer,
    private readonly deps: ConnectionDeps,
  ) {}

  get name(): string {
    return this.spec.name;
  }

  get connected(): boolean {
    return this.open !== null;
  }

  get pid(): number | undefined {
    return this.open?.pid;
  }

  /** One attempt to (re)open the session and list its tools; throws McpServerError. */
  connect(): Promise<OpenClient> {
    if (this.open) return Promise.resolve(this.open);
    this.opening ??= this.attempt().finally(() => {
      this.opening = null;
    });
    return this.opening;
  }

  async call(tool: string, input: Record<string, unknown>, signal: AbortSignal, timeoutMs: number): Promise<CallToolResult> {
    const { client } = await this.connect();
    this.inFlight += 1;
    try {
      const result = (await client.callTool({ name: tool, arguments: input }, undefined, { signal, timeout: timeoutMs })) as CallToolResult;
      // A tool that changed the list announced it before its result; the model's next request should see the change.
      await this.refreshing;
      return result;
    } finally {
      this.inFlight -= 1;
    }
  }

  /** Drops a session that no longer answers, so the next call opens a fresh one. */
  async reset(reason: string): Promise<void> {
    const open = this.open;
    if (!open) return;
    this.lost(open, reason);
    await open.client.close().catch(() => undefined);
  }

  /** Ends the session, and a server still starting: its handshake fails and a stdio server's processes are ended. */
  async close(): Promise<void> {
    const clients = new Set([this.open?.client, this.current].filter((c): c is Client => c !== undefined && c !== null));
    this.state = 'closed';
    this.open = null;
    await Promise.all([...clients].map((c) => c.close().catch(() => undefined)));
  }

  private async attempt(): Promise<OpenClient> {
    if (this.state === 'closed') throw new McpServerError('connection', 'the session has closed its MCP connections');
    this.state = 'connecting';
    let client: Client | undefined;
    try {
      const credential = await this.deps.credential().catch((err: unknown) => {
        throw new McpServerError('auth', `could not read its credential from the session's vaults: ${describe(err)}`);
      });
      const open = await openClient(this.spec, {
        credential,
        timeoutMs: this.deps.connectTimeoutMs,
        setup: (c) => {
          // Closed while the credential was looked up: start nothing that close() would no longer see.
          if ((this.state as ServerState) === 'closed') throw new McpServerError('connection', 'the session has closed its MCP connections');
          client = this.current = c;
          c.setNotificationHandler(ToolListChangedNotificationSchema, () => this.refresh(c));
        },
      });
      const seq = ++this.listing;
      const tools = await this.listTools(open.client);
      if (seq === this.listing) this.tools = tools;
      // A server that registers tools once initialised (server-everything does) announces list_changed while this
      // first listing runs: the newer listing wins, and the connection is not ready until it has landed (or failed,
      // when this listing is all there is).
      else if (!(await this.refreshing)) this.tools = tools;
      if ((this.state as ServerState) === 'closed') throw new McpServerError('connection', 'the session closed its MCP connections while this server was starting');
      open.client.onclose = () => this.lost(open, `the server closed the connection${tailOf(open)}`);
      this.open = open;
      this.state = 'connected';
      this.error = null;
      return open;
    } catch (err) {
      await client?.close().catch(() => undefined);
      const e = err instanceof McpServerError ? err : new McpServerError('connection', `could not list its tools: ${describe(err)}`);
      if ((this.state as ServerState) !== 'closed') this.state = 'disconnected';
      this.error = e.message;
      throw e;
    }
  }

  private lost(open: OpenClient, reason: string): void {
    if (this.open !== open) return;
    this.open = null;
    this.state = 'disconnected';
    this.error = reason;
    this.deps.onLost(reason);
  }

  // Tools that only run as tasks need the experimental tasks API; offering them would only produce failed calls.
  private async listTools(client: Client): Promise<Tool[]> {
    const tools: Tool[] = [];
    let cursor: string | undefined;
    do {
      const page = await client.listTools(cursor ? { cursor } : undefined, { timeout: this.deps.connectTimeoutMs });
      tools.push(...page.tools.filter((t) => t.execution?.taskSupport !== 'required'));
      cursor = page.nextCursor;
    } while (cursor);
    return tools;
  }

  private refresh(client: Client): void {
    const seq = ++this.listing;
    const done = this.listTools(client)
      .then((tools) => {
        if (seq !== this.listing || this.current !== client) return false;
        this.tools = tools;
        this.deps.onToolsChanged();
        return true;
      })
      // The old list stays: a failed refresh must not take working tools away from the model.
      .catch(() => false)
      .finally(() => {
        if (this.refreshing === done) this.refreshing = null;
      });
    this.refreshing = done;
  }
}

function tailOf(open: OpenClient): string {
  const said = open.stderrTail();
  return said ? `; it last wrote: ${said.slice(-500)}` : '';
}
