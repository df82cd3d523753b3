import * as z from 'zod';
import { CredentialCreateParams, CredentialUpdateParams, VaultCreateParams, VaultUpdateParams } from '../wire';
import { badRequest } from './errors';
import { paging, qBool } from './query';
import { route } from './router';

// /v1/vaults and their credentials (reference §2.7, §7.7). Secrets go in and never come out: responses carry the
// public auth form only, and the values live in the runtime's Vault for the egress proxy.

const ListQuery = z.strictObject({ ...paging, include_archived: qBool.optional() });

export const vaultRoutes = [
  route('POST', '/v1/vaults', async (c) => c.runtime.vaults.create(await c.body(VaultCreateParams.strict()))),
  route('GET', '/v1/vaults', async (c) => c.runtime.vaults.list(c.query(ListQuery))),
  route('GET', '/v1/vaults/:vault_id', async (c) => c.runtime.vaults.retrieve(c.params.vault_id!)),
  route('POST', '/v1/vaults/:vault_id', async (c) => c.runtime.vaults.update(c.params.vault_id!, await c.body(VaultUpdateParams.strict()))),
  route('DELETE', '/v1/vaults/:vault_id', async (c) => c.runtime.vaults.delete(c.params.vault_id!)),
  route('POST', '/v1/vaults/:vault_id/archive', async (c) => c.runtime.vaults.archive(c.params.vault_id!)),
  route('POST', '/v1/vaults/:vault_id/credentials', async (c) => c.runtime.vaults.createCredential(c.params.vault_id!, await c.body(CredentialCreateParams.strict()))),
  route('GET', '/v1/vaults/:vault_id/credentials', async (c) => c.runtime.vaults.listCredentials(c.params.vault_id!, c.query(ListQuery))),
  route('GET', '/v1/vaults/:vault_id/credentials/:credential_id', async (c) => c.runtime.vaults.retrieveCredential(c.params.vault_id!, c.params.credential_id!)),
  route('POST', '/v1/vaults/:vault_id/credentials/:credential_id', async (c) =>
    c.runtime.vaults.updateCredential(c.params.vault_id!, c.params.credential_id!, await c.body(CredentialUpdateParams.strict())),
  ),
  route('DELETE', '/v1/vaults/:vault_id/credentials/:credential_id', async (c) => c.runtime.vaults.deleteCredential(c.params.vault_id!, c.params.credential_id!)),
  route('POST', '/v1/vaults/:vault_id/credentials/:credential_id/archive', async (c) => c.runtime.vaults.archiveCredential(c.params.vault_id!, c.params.credential_id!)),
  route('POST', '/v1/vaults/:vault_id/credentials/:credential_id/mcp_oauth_validate', async (c) => {
    await c.runtime.vaults.retrieveCredential(c.params.vault_id!, c.params.credential_id!);
    throw badRequest('Validating MCP OAuth credentials is not supported by the local runtime yet.');
  }),
];
