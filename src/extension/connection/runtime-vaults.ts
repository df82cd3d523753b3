import type { VaultStore } from '../../runtime/vaults';
import type { Credential, CredentialCreateParams, CredentialUpdateParams, Vault, VaultCreateParams } from '../../wire';

// Vaults and credentials behind the RuntimeClient seam: what Hangar: Add/Remove Credential and the start command ask.
// In-process the runtime's VaultStore keeps each secret in its Vault, which is VS Code's SecretStorage; over a
// detached runtime the secret goes into that runtime's vault through the API (remote-vaults.ts), since its egress
// proxy and MCP connections are the ones that use it, and RuntimeHost keeps VS Code's copy (mirrored-vaults.ts).

export interface RuntimeVaults {
  /** Where a secret saved through this seam is kept, for the sentences the commands show. */
  readonly secretsHeldIn: string;
  /** The active vaults, oldest first. */
  list(): Promise<Vault[]>;
  create(params: VaultCreateParams): Promise<Vault>;
  /** The vault's active credentials, oldest first. */
  credentials(vaultId: string): Promise<Credential[]>;
  retrieveCredential(vaultId: string, id: string): Promise<Credential>;
  createCredential(vaultId: string, params: CredentialCreateParams): Promise<Credential>;
  updateCredential(vaultId: string, id: string, params: CredentialUpdateParams): Promise<Credential>;
  /** Deletes the record and its secret. */
  deleteCredential(vaultId: string, id: string): Promise<void>;
}

export class LocalVaults implements RuntimeVaults {
  readonly secretsHeldIn = "VS Code's secret storage";

  constructor(private readonly store: VaultStore) {}

  async list(): Promise<Vault[]> {
    return allPages((page) => this.store.list({ limit: 100, page }));
  }

  create(params: VaultCreateParams): Promise<Vault> {
    return this.store.create(params);
  }

  credentials(vaultId: string): Promise<Credential[]> {
    return allPages((page) => this.store.listCredentials(vaultId, { limit: 100, page }));
  }

  retrieveCredential(vaultId: string, id: string): Promise<Credential> {
    return this.store.retrieveCredential(vaultId, id);
  }

  createCredential(vaultId: string, params: CredentialCreateParams): Promise<Credential> {
    return this.store.createCredential(vaultId, params);
  }

  updateCredential(vaultId: string, id: string, params: CredentialUpdateParams): Promise<Credential> {
    return this.store.updateCredential(vaultId, id, params);
  }

  async deleteCredential(vaultId: string, id: string): Promise<void> {
    await this.store.deleteCredential(vaultId, id);
  }
}

/** Every item of a store's cursor pages. */
export async function allPages<T>(page: (cursor: string | undefined) => Promise<{ data: T[]; next_page?: string | null }>): Promise<T[]> {
  const out: T[] = [];
  for (let cursor: string | undefined; ; ) {
    const res = await page(cursor);
    out.push(...res.data);
    if (!res.next_page) return out;
    cursor = res.next_page;
  }
}
