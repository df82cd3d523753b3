import type { NewEvent } from '../wire';
import type { McpSession } from './credentials';
import type { McpManager, McpOptions } from './manager';

// MCP servers of agents (see ARCHITECTURE.md, src/mcp), connected host side by the runtime. Wire it with
// `new Runtime({ ..., mcp: createMcpFactory({ credentialFor: vaultCredentialResolver(vaults, readSecret) }) })`.

export type McpFactory = (session: McpSession, emit: (events: NewEvent[]) => Promise<void>) => Promise<McpManager | null>;

/**
 * The runtime's `mcp` option: per session, a manager that connects to the agent's servers in the background (null
 * when it has none). It returns at once; a server that is slow or never answers does not hold up the session.
 */
export function createMcpFactory(options: McpOptions = {}): McpFactory {
  return async (session, emit) => {
    // The MCP SDK and ajv (about 0.4 MB of the CLI bundle) load with the first session that has servers, not with every
    // runtime: a CLI command that runs no session (sessions, events) never compiles them.
    const { McpManager } = await import('./manager');
    const manager = new McpManager(session, emit, options);
    if (manager.size === 0) return null;
    manager.start();
    return manager;
  };
}

export type { McpManager, McpOptions, McpServerStatus } from './manager';
export { vaultCredentialResolver, stdioCredentialUrl, TOKEN_PLACEHOLDER, type CredentialResolver, type CredentialStore, type McpCredential, type McpSession, type SecretReader } from './credentials';
export { modelToolName } from './naming';
export { toOutcome, DEFAULT_LIMITS, type ContentLimits } from './content';
