import type Anthropic from '@anthropic-ai/sdk';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { errorOutcome, type McpTools } from '../harness/tools';
import { sleep } from '../harness/retry';
import { resolvePolicies } from '../harness/permissions';
import type { ToolOutcome } from '../wire/tool-outcome';
import { capMiddle } from '../tools/output';
import type { McpServer, NewEvent } from '../wire';
import { DEFAULT_LIMITS, toOutcome, type ContentLimits } from './content';
import { stdioCredentialUrl, TOKEN_PLACEHOLDER, type CredentialResolver, type McpSession } from './credentials';
import { ServerConnection, type ServerState } from './connection';
import { modelToolName, serverPrefix } from './naming';
import { describe, isAuthError, isTransportError, McpServerError } from './transport';

// The MCP side of one session (the harness's McpTools): connects to the agent's servers in the background when the
// session's driver starts (creating a session never waits for a server), offers their tools as `<server>__<tool>`,
// and turns every failure into a tool error the model can read or a session.error the user can see, logged when it
// happens. A server that cannot be reached is left out; the session goes on.
//
// The tools of a server still connecting: a model request waits (ready()) until every server has had its first
// connection attempt: its handshake is bounded by connectTimeoutMs (twice for a URL server, which tries streamable
// HTTP, then SSE), its tool listing by connectTimeoutMs again. A server that is not connected by then is left out of
// that request's tool list while its retries go on; its tools join the first request after it connects. A call by
// name to a server that is not connected (the model may remember its tools) connects it first.

export interface McpOptions {
  /** Finds the bearer token for a server URL (`stdio:<name>` for stdio servers) in the session's vaults. */
  credentialFor?: CredentialResolver;
  /** How long one tool call may take before it is cancelled (default 60 s). */
  callTimeoutMs?: number;
  /** How long opening a session (initialize + tools/list) may take (default 15 s). */
  connectTimeoutMs?: number;
  /** Connection attempts before a server is given up on, at session start and on a call (default 3). */
  connectAttempts?: number;
  /** First backoff between attempts; doubles each time (default 500 ms). */
  retryBaseMs?: number;
  limits?: Partial<ContentLimits>;
}

export interface McpServerStatus {
  name: string;
  type: 'url' | 'stdio';
  state: ServerState;
  tools: string[];
  error: string | null;
  /** Calls sent to the server and not answered yet. */
  calls: number;
  pid?: number;
}

type Emit = (events: NewEvent[]) => Promise<void>;

const MAX_BACKOFF_MS = 10_000;

/** `work`'s result, or undefined as soon as `signal` aborts (the work goes on). */
async function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T | undefined> {
  if (signal.aborted) return undefined;
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<undefined>((resolve) => {
    onAbort = () => resolve(undefined);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([work, aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort as () => void);
  }
}

export class McpManager implements McpTools {
  private readonly servers = new Map<string, ServerConnection>();
  private readonly names = new Map<string, { server: string; tool: string }>();
  private defs: Anthropic.Tool[] = [];
  private readonly secrets = new Set<string>();
  private readonly enabled: (server: string, tool: string) => boolean;
  private readonly limits: ContentLimits;
  private closed = false;
  /** Aborted by close(): ends the backoff of connection retries. */
  private readonly stopped = new AbortController();
  /** Retry loops under way, one per server, shared by the background start and calls. */
  private readonly connecting = new Map<ServerConnection, Promise<McpServerError | null>>();
  private firstAttempts: Promise<void> = Promise.resolve();

  constructor(
    private readonly session: McpSession,
    private readonly emit: Emit,
    private readonly options: McpOptions = {},
  ) {
    const policies = resolvePolicies(session.agent).mcp;
    this.enabled = (server, tool) => {
      const set = policies.get(server);
      return Boolean(set && (set.tools.get(tool)?.enabled ?? set.enabled));
    };
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    // A server no enabled toolset refers to could never be called, so it is not started at all.
    for (const spec of session.agent.mcp_servers) {
      const set = policies.get(spec.name);
      if (!set || !(set.enabled || [...set.tools.values()].some((t) => t.enabled))) continue;
      this.servers.set(
        spec.name,
        new ServerConnection(spec, {
          credential: async () => (needsCredential(spec) ? this.credential(spec.type === 'url' ? spec.url : stdioCredentialUrl(spec.name)) : undefined),
          connectTimeoutMs: options.connectTimeoutMs ?? 15_000,
          onToolsChanged: () => this.rebuild(),
          onLost: (reason) => void this.report('mcp_connection_failed_error', spec.name, `lost the connection (${reason}); it is reopened on the next call`, 'retrying'),
        }),
      );
    }
  }

  get size(): number {
    return this.servers.size;
  }

  /** Starts connecting to every server (in parallel, with retries) and returns at once; never throws. */
  start(): void {
    const first: Promise<void>[] = [];
    for (const c of this.servers.values()) first.push(new Promise((done) => void this.ensureConnected(c, done)));
    this.firstAttempts = Promise.all(first).then(() => undefined);
  }

  /** Resolves once every server has had its first connection attempt (or when `signal` aborts). */
  async ready(signal: AbortSignal): Promise<void> {
    await untilAborted(this.firstAttempts, signal);
  }

  definitions(): Anthropic.Tool[] {
    return this.defs;
  }

  resolve(modelName: string): { server: string; tool: string } | null {
    const known = this.names.get(modelName);
    if (known) return known;
    // A server that never connected has no tool list; a call by name still reaches it, and tries to connect.
    for (const c of this.servers.values()) {
      const prefix = serverPrefix(c.name);
      if (c.tools.length === 0 && modelName.startsWith(prefix) && modelName.length > prefix.length) return { server: c.name, tool: modelName.slice(prefix.length) };
    }
    return null;
  }

  async call(server: string, tool: string, input: Record<string, unknown>, signal: AbortSignal): Promise<ToolOutcome> {
    const c = this.servers.get(server);
    if (!c) return errorOutcome(`MCP server "${server}" is not part of this agent (or its toolset is disabled).`);
    if (!c.connected) {
      const err = await untilAborted(this.ensureConnected(c), signal);
      signal.throwIfAborted();
      if (err) return errorOutcome(this.redact(`MCP server "${server}" is not reachable, so ${tool} did not run: ${err.message}`));
    }
    const timeoutMs = this.options.callTimeoutMs ?? 60_000;
    try {
      return toOutcome(await c.call(tool, input, signal, timeoutMs), this.limits, (t) => this.redact(t));
    } catch (err) {
      if (signal.aborted) throw err;
      return errorOutcome(this.redact(await this.explain(c, tool, err, timeoutMs)));
    }
  }

  status(): McpServerStatus[] {
    return [...this.servers.values()].map((c) => ({
      name: c.name,
      type: c.spec.type,
      state: c.state,
      tools: c.tools.map((t) => t.name),
      error: c.error === null ? null : this.redact(c.error),
      calls: c.inFlight,
      ...(c.pid ? { pid: c.pid } : {}),
    }));
  }

  /** Ends every connection, those still starting included (their stdio servers are stopped with their children). */
  async close(): Promise<void> {
    this.closed = true;
    this.stopped.abort();
    await Promise.all([...this.servers.values()].map((c) => c.close()));
  }

  private async explain(c: ServerConnection, tool: string, err: unknown, timeoutMs: number): Promise<string> {
    if (err instanceof McpError && err.code === ErrorCode.RequestTimeout)
      return `MCP tool ${tool} on server "${c.name}" did not answer within ${timeoutMs / 1000} s, so the call was cancelled. The server may be stuck or overloaded; its effects are unknown.`;
    if (isTransportError(err)) {
      const why = describe(err);
      await c.reset(why);
      if (isAuthError(err)) {
        await this.report('mcp_authentication_failed_error', c.name, `refused the credential during a call: ${why}`, 'exhausted');
        return `MCP server "${c.name}" refused the session's credential, so ${tool} did not run.`;
      }
      return `MCP server "${c.name}" lost the connection during the call to ${tool} (${why}); its effects are unknown. It will be reconnected on the next call.`;
    }
    if (err instanceof McpError) return `MCP tool ${tool} on server "${c.name}" failed: ${err.message}`;
    // The SDK checks every answer against the protocol's schema; what fails it is the server's bug, not the model's.
    return `MCP server "${c.name}" answered the call to ${tool} with something that is not a valid tool result (${capMiddle(describe(err), 1000)}).`;
  }

  /** The server's retry loop under way, or a new one; `afterFirst` runs once its first attempt is over. */
  private ensureConnected(c: ServerConnection, afterFirst?: () => void): Promise<McpServerError | null> {
    let loop = this.connecting.get(c);
    if (!loop) {
      loop = this.connect(c, afterFirst).finally(() => this.connecting.delete(c));
      this.connecting.set(c, loop);
    } else if (afterFirst) {
      void loop.finally(afterFirst);
    }
    return loop;
  }

  /** Connects with backoff; the error that made it give up, or null when connected. */
  private async connect(c: ServerConnection, afterFirst?: () => void): Promise<McpServerError | null> {
    const attempts = Math.max(1, this.options.connectAttempts ?? 3);
    const signal = this.stopped.signal;
    for (let attempt = 1; ; attempt++) {
      try {
        await c.connect();
        this.rebuild();
        afterFirst?.();
        return null;
      } catch (err) {
        const e = err instanceof McpServerError ? err : new McpServerError('connection', describe(err));
        const last = e.kind === 'auth' || attempt >= attempts || this.closed || signal.aborted;
        const type = e.kind === 'auth' ? 'mcp_authentication_failed_error' : 'mcp_connection_failed_error';
        const detail = last && e.kind === 'connection' && attempts > 1 ? `${e.message} (gave up after ${attempt} attempts)` : e.message;
        await this.report(type, c.name, detail, last ? 'exhausted' : 'retrying');
        if (attempt === 1) afterFirst?.();
        if (last) return e;
        if (!(await sleep(Math.min(MAX_BACKOFF_MS, (this.options.retryBaseMs ?? 500) * 2 ** (attempt - 1)), signal))) return e;
      }
    }
  }

  private async report(type: 'mcp_authentication_failed_error' | 'mcp_connection_failed_error', server: string, message: string, retry: 'retrying' | 'exhausted'): Promise<void> {
    if (this.closed) return;
    const error = { type, message: this.redact(`MCP server "${server}": ${message}`), retry_status: { type: retry }, mcp_server_name: server };
    // Best effort: the tool result already tells the model; a log that has just been closed must not fail the call.
    await this.emit([{ type: 'session.error', error }]).catch(() => undefined);
  }

  private async credential(url: string) {
    const found = await this.options.credentialFor?.(this.session, url);
    if (found) this.secrets.add(found.token);
    return found;
  }

  private rebuild(): void {
    this.names.clear();
    const defs: Anthropic.Tool[] = [];
    for (const c of this.servers.values()) {
      for (const t of c.tools) {
        if (!this.enabled(c.name, t.name)) continue;
        const name = modelToolName(c.name, t.name, new Set(this.names.keys()));
        this.names.set(name, { server: c.name, tool: t.name });
        defs.push({ name, description: t.description ?? t.title ?? `${t.name} (MCP server ${c.name})`, input_schema: t.inputSchema as Anthropic.Tool.InputSchema });
      }
    }
    this.defs = defs;
  }

  /** Credentials never reach an event, a tool result or a status line, even when a server echoes them back. */
  private redact(text: string): string {
    let out = text;
    for (const s of this.secrets) if (s.length >= 4) out = out.split(s).join('[redacted]');
    return out;
  }
}

// A stdio server gets a token only through the placeholder in its env, so without one there is nothing to look up.
function needsCredential(spec: McpServer): boolean {
  return spec.type === 'url' || Object.values(spec.env).some((v) => v.includes(TOKEN_PLACEHOLDER));
}
