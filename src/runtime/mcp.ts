import { createMcpFactory, vaultCredentialResolver, type McpFactory, type McpOptions } from '../mcp';
import type { Vault } from '../vault/types';
import { readCredentialSecret, VaultStore } from './vaults';

/** How MCP credentials are matched to servers: `https://Host/mcp/` and `https://host/mcp` are one server. */
export { normaliseUrl as normaliseMcpUrl } from '../mcp/credentials';

/** The MCP factory every surface uses: credentials come from the vault records under `storageRoot`. */
export function vaultMcpFactory(storageRoot: string, vault: Vault, options: Omit<McpOptions, 'credentialFor'> = {}): McpFactory {
  const store = new VaultStore(storageRoot, vault);
  return createMcpFactory({ ...options, credentialFor: vaultCredentialResolver(store, (vaultId, credentialId) => readCredentialSecret(vault, vaultId, credentialId)) });
}
