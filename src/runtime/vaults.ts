import path from 'node:path';
import {
  Credential,
  CredentialSecret,
  Vault as VaultRecord,
  applyMetadataPatch,
  newId,
  nowIso,
  type CredentialAuth,
  type CredentialAuthParams,
  type CredentialAuthUpdateParams,
  type CredentialCreateParams,
  type CredentialUpdateParams,
  type VaultCreateParams,
  type VaultUpdateParams,
} from '../wire';
import { JsonStore, type Page } from '../log';
import type { Vault } from '../vault/types';
import { conflict, invalid, notFound } from './errors';

// Vault and credential records (metadata only) live in JSON stores; every secret goes to the runtime's Vault under
// `${vault_id}/${credential_id}` and nowhere else (ARCHITECTURE.md invariant 5). The egress proxy reads it from there.

export const credentialSecretKey = (vaultId: string, credentialId: string) => `${vaultId}/${credentialId}`;

/** The secrets of one credential, or null when it has none (deleted, archived). For the proxy and the harness only. */
export async function readCredentialSecret(vault: Vault, vaultId: string, credentialId: string): Promise<CredentialSecret | null> {
  const raw = await vault.get(credentialSecretKey(vaultId, credentialId));
  if (raw === undefined) return null;
  return CredentialSecret.parse(JSON.parse(raw));
}

interface ListQuery {
  limit?: number;
  page?: string;
  include_archived?: boolean;
}

export class VaultStore {
  private readonly vaults: JsonStore<VaultRecord>;
  private readonly credentialsRoot: string;

  constructor(
    root: string,
    private readonly secrets: Vault,
  ) {
    this.vaults = new JsonStore(root, 'vaults', VaultRecord);
    this.credentialsRoot = path.join(root, 'vault-credentials');
  }

  async create(params: VaultCreateParams): Promise<VaultRecord> {
    const now = nowIso();
    return this.vaults.put({ type: 'vault', id: newId('vlt'), display_name: params.display_name, metadata: params.metadata ?? {}, created_at: now, updated_at: now, archived_at: null });
  }

  async retrieve(id: string): Promise<VaultRecord> {
    const v = await this.vaults.get(id);
    if (!v) throw notFound('Vault', id);
    return v;
  }

  async update(id: string, params: VaultUpdateParams): Promise<VaultRecord> {
    const current = await this.active(id);
    return this.vaults.put({
      ...current,
      display_name: params.display_name ?? current.display_name,
      metadata: applyMetadataPatch(current.metadata, params.metadata),
      updated_at: nowIso(),
    });
  }

  list(q: ListQuery): Promise<Page<VaultRecord>> {
    return this.vaults.list({ limit: q.limit, after: q.page, where: (v) => q.include_archived === true || !v.archived_at });
  }

  /** Archiving a vault archives its credentials, which drops their secrets. */
  async archive(id: string): Promise<VaultRecord> {
    const current = await this.retrieve(id);
    if (current.archived_at) return current;
    for (const c of await this.allCredentials(id)) if (!c.archived_at) await this.archiveCredential(id, c.id);
    const now = nowIso();
    return this.vaults.put({ ...current, archived_at: now, updated_at: now });
  }

  async delete(id: string): Promise<{ id: string; type: 'vault_deleted' }> {
    await this.retrieve(id);
    for (const c of await this.allCredentials(id)) await this.deleteCredential(id, c.id);
    await this.vaults.delete(id);
    return { id, type: 'vault_deleted' };
  }

  async createCredential(vaultId: string, params: CredentialCreateParams): Promise<Credential> {
    await this.active(vaultId);
    await this.assertUnique(vaultId, params.auth);
    const now = nowIso();
    const credential: Credential = {
      type: 'vault_credential',
      id: newId('vcrd'),
      vault_id: vaultId,
      display_name: params.display_name ?? null,
      metadata: params.metadata ?? {},
      auth: publicAuth(params.auth),
      created_at: now,
      updated_at: now,
      archived_at: null,
    };
    // Secret first: a record never names a secret that is not there; a failed record write takes the secret back.
    await this.secrets.set(credentialSecretKey(vaultId, credential.id), JSON.stringify(secretOf(params.auth)));
    try {
      return await this.store(vaultId).put(credential);
    } catch (err) {
      await this.secrets.delete(credentialSecretKey(vaultId, credential.id));
      throw err;
    }
  }

  async retrieveCredential(vaultId: string, id: string): Promise<Credential> {
    await this.retrieve(vaultId);
    const c = await this.store(vaultId).get(id);
    if (!c) throw notFound('Credential', id);
    return c;
  }

  async updateCredential(vaultId: string, id: string, params: CredentialUpdateParams): Promise<Credential> {
    await this.active(vaultId);
    const current = await this.retrieveCredential(vaultId, id);
    if (current.archived_at) throw invalid(`Credential ${id} is archived and cannot change; create a new one.`);
    let auth = current.auth;
    if (params.auth) {
      if (params.auth.type !== current.auth.type) throw invalid(`auth.type cannot change from "${current.auth.type}" to "${params.auth.type}"; create a new credential instead.`);
      const key = credentialSecretKey(vaultId, id);
      const stored = await readCredentialSecret(this.secrets, vaultId, id);
      if (!stored) throw invalid(`Credential ${id} has no stored secret; delete it and create it again.`);
      const next = updateAuth(current.auth, stored, params.auth);
      auth = next.auth;
      await this.secrets.set(key, JSON.stringify(next.secret));
    }
    return this.store(vaultId).put({
      ...current,
      auth,
      display_name: params.display_name === undefined ? current.display_name : params.display_name,
      metadata: applyMetadataPatch(current.metadata, params.metadata),
      updated_at: nowIso(),
    });
  }

  async listCredentials(vaultId: string, q: ListQuery): Promise<Page<Credential>> {
    await this.retrieve(vaultId);
    return this.store(vaultId).list({ limit: q.limit, after: q.page, where: (c) => q.include_archived === true || !c.archived_at });
  }

  /** An archived credential is never injected again, so its secret is dropped at once. */
  async archiveCredential(vaultId: string, id: string): Promise<Credential> {
    const current = await this.retrieveCredential(vaultId, id);
    if (current.archived_at) return current;
    const now = nowIso();
    const archived = await this.store(vaultId).put({ ...current, archived_at: now, updated_at: now });
    await this.secrets.delete(credentialSecretKey(vaultId, id));
    return archived;
  }

  async deleteCredential(vaultId: string, id: string): Promise<{ id: string; type: 'vault_credential_deleted' }> {
    await this.retrieveCredential(vaultId, id);
    await this.store(vaultId).delete(id);
    await this.secrets.delete(credentialSecretKey(vaultId, id));
    return { id, type: 'vault_credential_deleted' };
  }

  private store(vaultId: string): JsonStore<Credential> {
    return new JsonStore(this.credentialsRoot, vaultId, Credential);
  }

  private async active(id: string): Promise<VaultRecord> {
    const v = await this.retrieve(id);
    if (v.archived_at) throw invalid(`Vault ${id} is archived and cannot change; create a new vault.`);
    return v;
  }

  private async allCredentials(vaultId: string): Promise<Credential[]> {
    return (await this.store(vaultId).list({ limit: 100_000 })).data;
  }

  // The proxy picks a credential by MCP server URL or by variable name, so two active ones may not share either.
  private async assertUnique(vaultId: string, auth: CredentialAuthParams): Promise<void> {
    const key = matchKey(auth);
    for (const c of await this.allCredentials(vaultId)) {
      if (c.archived_at) continue;
      if (matchKey(c.auth) === key) throw conflict(`Vault ${vaultId} already has credential ${c.id} for ${key.slice(key.indexOf(':') + 1)}; update or archive it instead.`);
    }
  }
}

/** What no two active credentials of a vault may share: the MCP server URL, the variable, or the set of hosts. */
export function matchKey(auth: CredentialAuthParams | CredentialAuth): string {
  if (auth.type === 'environment_variable') return `env:${auth.secret_name}`;
  if (auth.type === 'http_header') return `hosts:${[...auth.allowed_hosts].map((h) => h.toLowerCase()).sort().join(',')}`;
  return `mcp:${auth.mcp_server_url}`;
}

function publicAuth(auth: CredentialAuthParams): CredentialAuth {
  switch (auth.type) {
    case 'mcp_oauth':
      return {
        type: 'mcp_oauth',
        mcp_server_url: auth.mcp_server_url,
        expires_at: auth.expires_at ?? null,
        refresh: auth.refresh
          ? {
              client_id: auth.refresh.client_id,
              token_endpoint: auth.refresh.token_endpoint,
              token_endpoint_auth: { type: auth.refresh.token_endpoint_auth.type },
              resource: auth.refresh.resource ?? null,
              scope: auth.refresh.scope ?? null,
            }
          : null,
      };
    case 'static_bearer':
      return { type: 'static_bearer', mcp_server_url: auth.mcp_server_url };
    case 'environment_variable': {
      const location = { header: auth.injection_location?.header ?? true, body: auth.injection_location?.body ?? false };
      if (!location.header && !location.body) throw invalid('injection_location must enable header, body or both, or the secret can never be substituted.');
      return { type: 'environment_variable', secret_name: auth.secret_name, injection_location: location, networking: auth.networking };
    }
    case 'http_header': {
      if (auth.scheme === 'header' && !auth.header_name) throw invalid('scheme "header" needs header_name: the header the proxy sets to the secret.');
      return {
        type: 'http_header',
        allowed_hosts: auth.allowed_hosts,
        scheme: auth.scheme,
        header_name: auth.header_name ?? 'Authorization',
        username: auth.scheme === 'basic' ? (auth.username ?? 'x-access-token') : null,
      };
    }
  }
}

function secretOf(auth: CredentialAuthParams): CredentialSecret {
  switch (auth.type) {
    case 'mcp_oauth': {
      const tea = auth.refresh?.token_endpoint_auth;
      return { type: 'mcp_oauth', access_token: auth.access_token, refresh_token: auth.refresh?.refresh_token ?? null, client_secret: tea && tea.type !== 'none' ? tea.client_secret : null };
    }
    case 'static_bearer':
      return { type: 'static_bearer', token: auth.token };
    case 'environment_variable':
      return { type: 'environment_variable', secret_value: auth.secret_value };
    case 'http_header':
      return { type: 'http_header', secret_value: auth.secret_value };
  }
}

/** Applies an auth update (same type, checked by the caller) to the public record and the stored secret. */
function updateAuth(auth: CredentialAuth, secret: CredentialSecret, patch: CredentialAuthUpdateParams): { auth: CredentialAuth; secret: CredentialSecret } {
  if (patch.type === 'static_bearer' && secret.type === 'static_bearer') {
    return { auth, secret: patch.token ? { ...secret, token: patch.token } : secret };
  }
  if (patch.type === 'environment_variable' && auth.type === 'environment_variable' && secret.type === 'environment_variable') {
    const location = { ...auth.injection_location, ...stripNullish(patch.injection_location ?? {}) };
    if (!location.header && !location.body) throw invalid('injection_location must keep header, body or both enabled.');
    return {
      auth: { ...auth, injection_location: location, networking: patch.networking ?? auth.networking },
      secret: patch.secret_value ? { ...secret, secret_value: patch.secret_value } : secret,
    };
  }
  if (patch.type === 'http_header' && auth.type === 'http_header' && secret.type === 'http_header') {
    if (patch.username && auth.scheme !== 'basic') throw invalid(`username applies to scheme "basic" only; this credential uses "${auth.scheme}".`);
    return {
      auth: { ...auth, allowed_hosts: patch.allowed_hosts ?? auth.allowed_hosts, username: patch.username ?? auth.username },
      secret: patch.secret_value ? { ...secret, secret_value: patch.secret_value } : secret,
    };
  }
  if (patch.type === 'mcp_oauth' && auth.type === 'mcp_oauth' && secret.type === 'mcp_oauth') {
    const r = patch.refresh;
    if (r === null) {
      return { auth: { ...auth, expires_at: patch.expires_at === undefined ? auth.expires_at : patch.expires_at, refresh: null }, secret: { ...secret, access_token: patch.access_token || secret.access_token, refresh_token: null, client_secret: null } };
    }
    if (r && !auth.refresh) throw invalid('This credential has no refresh configuration to update; create a new credential with refresh set.');
    if (r?.token_endpoint_auth && auth.refresh && r.token_endpoint_auth.type !== auth.refresh.token_endpoint_auth.type) {
      throw invalid(`refresh.token_endpoint_auth.type is ${auth.refresh.token_endpoint_auth.type}; it cannot change to ${r.token_endpoint_auth.type}.`);
    }
    return {
      auth: {
        ...auth,
        expires_at: patch.expires_at === undefined ? auth.expires_at : patch.expires_at,
        refresh: auth.refresh && r ? { ...auth.refresh, scope: r.scope === undefined ? auth.refresh.scope : r.scope } : auth.refresh,
      },
      secret: {
        ...secret,
        access_token: patch.access_token || secret.access_token,
        refresh_token: r?.refresh_token || secret.refresh_token,
        client_secret: r?.token_endpoint_auth?.client_secret || secret.client_secret,
      },
    };
  }
  throw invalid(`auth.type ${patch.type} does not match the credential's ${auth.type}.`);
}

function stripNullish<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== null)) as Partial<T>;
}
