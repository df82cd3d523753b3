import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { SSEClientTransport, SseError } from '@modelcontextprotocol/sdk/client/sse.js';
import { getDefaultEnvironment } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import type { McpServer } from '../wire';
import { TOKEN_PLACEHOLDER, type McpCredential } from './credentials';
import { StdioProcessTransport } from './stdio';

// Opens one MCP client session, host side (ARCHITECTURE.md invariant 5): a stdio server is launched here, a URL server is
// tried with streamable HTTP first and with the older SSE transport when the endpoint does not speak it.

export class McpServerError extends Error {
  constructor(
    readonly kind: 'auth' | 'connection',
    message: string,
  ) {
    super(message);
    this.name = 'McpServerError';
  }
}

export interface OpenOptions {
  credential: McpCredential | undefined;
  timeoutMs: number;
  /** Called for every client before it connects, so notification handlers see the first notification. */
  setup: (client: Client) => void;
}

export interface OpenClient {
  client: Client;
  transport: Transport;
  /** The stdio server's process id. */
  pid?: number;
  /** The last lines a stdio server wrote to stderr (for error messages). */
  stderrTail: () => string;
}

const STDERR_TAIL = 2000;
const CLIENT_INFO = { name: 'hangar', version: '0.1.0' };

export async function openClient(spec: McpServer, opts: OpenOptions): Promise<OpenClient> {
  if (spec.type === 'stdio') return openStdio(spec, opts);
  const headers: Record<string, string> = opts.credential ? { Authorization: `Bearer ${opts.credential.token}` } : {};
  const url = new URL(spec.url);
  try {
    return await connect(new StreamableHTTPClientTransport(url, { requestInit: { headers } }), opts);
  } catch (first) {
    if (isAuthError(first)) throw authError(spec, opts.credential);
    try {
      return await connect(new SSEClientTransport(url, { requestInit: { headers } }), opts);
    } catch (second) {
      if (isAuthError(second)) throw authError(spec, opts.credential);
      throw new McpServerError('connection', `could not connect to ${spec.url}: ${describe(first)}`);
    }
  }
}

async function openStdio(spec: Extract<McpServer, { type: 'stdio' }>, opts: OpenOptions): Promise<OpenClient> {
  const needsToken = Object.values(spec.env).some((v) => v.includes(TOKEN_PLACEHOLDER));
  if (needsToken && !opts.credential)
    throw new McpServerError('auth', `its env asks for ${TOKEN_PLACEHOLDER}, but none of the session's vaults has a credential for stdio:${spec.name}`);
  const env = Object.fromEntries(Object.entries(spec.env).map(([k, v]) => [k, opts.credential ? v.split(TOKEN_PLACEHOLDER).join(opts.credential.token) : v]));
  let tail = '';
  const transport = new StdioProcessTransport({
    command: spec.command,
    args: spec.args,
    env: { ...getDefaultEnvironment(), ...env },
    onStderr: (text) => {
      tail = (tail + text).slice(-STDERR_TAIL);
    },
  });
  const stderrTail = () => tail.trim();
  try {
    const open = await connect(transport, opts);
    return { ...open, pid: transport.pid, stderrTail };
  } catch (err) {
    const said = stderrTail();
    const what = transport.started ? `${spec.command} started but did not complete the MCP handshake` : `could not start ${spec.command}`;
    throw new McpServerError('connection', `${what}: ${describe(err)}${said ? `; it wrote: ${said.slice(-500)}` : ''}`);
  }
}

async function connect(transport: Transport, opts: OpenOptions): Promise<OpenClient> {
  const client = new Client(CLIENT_INFO, { capabilities: {} });
  opts.setup(client);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${opts.timeoutMs} ms`)), opts.timeoutMs);
  });
  try {
    await Promise.race([client.connect(transport, { timeout: opts.timeoutMs }), timeout]);
  } catch (err) {
    await client.close().catch(() => undefined);
    throw err;
  } finally {
    clearTimeout(timer);
  }
  return { client, transport, stderrTail: () => '' };
}

/** The client session itself is broken (the server is gone or no longer knows it), as opposed to one bad answer. */
export function isTransportError(err: unknown): boolean {
  if (err instanceof McpError) return err.code === ErrorCode.ConnectionClosed;
  if (err instanceof StreamableHTTPError || err instanceof SseError || err instanceof UnauthorizedError) return true;
  // fetch() reports a refused or reset connection as a TypeError; the stdio transport says "Not connected".
  return err instanceof Error && (err instanceof TypeError ? /fetch failed/.test(err.message) : /^Not connected/.test(err.message));
}

export function isAuthError(err: unknown): boolean {
  if (err instanceof UnauthorizedError) return true;
  return (err instanceof StreamableHTTPError || err instanceof SseError) && (err.code === 401 || err.code === 403);
}

function authError(spec: Extract<McpServer, { type: 'url' }>, credential: McpCredential | undefined): McpServerError {
  return new McpServerError(
    'auth',
    credential
      ? `${spec.url} refused the credential from the session's vault (HTTP 401/403); update the credential for this URL`
      : `${spec.url} requires authentication, and none of the session's vaults has a credential for this URL`,
  );
}

export function describe(err: unknown): string {
  if (err instanceof Error) {
    const cause = err.cause instanceof Error ? ` (${err.cause.message})` : '';
    return `${err.message}${cause}`;
  }
  return String(err);
}
