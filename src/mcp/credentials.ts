import type { Credential, CredentialSecret, Session } from '../wire';

// Where MCP credentials come from: the vaults attached to the session, matched to a server by URL (reference §5.4,
// §7.7). Agents never carry secrets. A stdio server has no URL, so a credential reaches one when its
// mcp_server_url is `stdio:<server name>`; the token then replaces ${HANGAR_MCP_TOKEN} in the server's env values
// (never in its args, which other local users can read in the process table).

export interface McpCredential {
  type: 'bearer';
  token: string;
}

/** What of a session the MCP side needs (a SessionRecord is one). */
export type McpSession = Pick<Session, 'id' | 'agent' | 'vault_ids'>;

export type CredentialResolver = (session: McpSession, serverUrl: string) => Promise<McpCredential | undefined>;

/** The credential records of a vault (metadata only); the runtime's VaultStore is one. */
export interface CredentialStore {
  listCredentials(vaultId: string, q: { limit?: number; page?: string }): Promise<{ data: readonly Credential[]; next_page: string | null }>;
}

export type SecretReader = (vaultId: string, credentialId: string) => Promise<CredentialSecret | null>;

export const TOKEN_PLACEHOLDER = '${HANGAR_MCP_TOKEN}';

export const stdioCredentialUrl = (serverName: string): string => `stdio:${serverName}`;

/** The default resolver: the first active static_bearer or mcp_oauth credential for the URL, vaults in session order. */
export function vaultCredentialResolver(store: CredentialStore, readSecret: SecretReader): CredentialResolver {
  return async (session, serverUrl) => {
    const want = normaliseUrl(serverUrl);
    for (const vaultId of session.vault_ids) {
      for await (const c of credentialsOf(store, vaultId)) {
        if (c.archived_at || (c.auth.type !== 'static_bearer' && c.auth.type !== 'mcp_oauth') || normaliseUrl(c.auth.mcp_server_url) !== want) continue;
        const secret = await readSecret(vaultId, c.id);
        if (secret?.type === 'static_bearer') return { type: 'bearer', token: secret.token };
        if (secret?.type === 'mcp_oauth') return { type: 'bearer', token: secret.access_token };
      }
    }
    return undefined;
  };
}

async function* credentialsOf(store: CredentialStore, vaultId: string): AsyncGenerator<Credential> {
  let page: string | undefined;
  do {
    const res = await store.listCredentials(vaultId, { limit: 1000, page });
    yield* res.data;
    page = res.next_page ?? undefined;
  } while (page);
}

// `https://Host:443/mcp/` and `https://host/mcp` are one server; anything that is not a URL compares as written.
export function normaliseUrl(url: string): string {
  try {
    const u = new URL(url);
    u.hash = '';
    return u.href.replace(/\/+$/, '');
  } catch {
    return url;
  }
}
