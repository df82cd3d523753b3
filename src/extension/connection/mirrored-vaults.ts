import type { Vault as SecretVault } from '../../vault/types';
import type { Credential, CredentialCreateParams, CredentialUpdateParams, Vault, VaultCreateParams } from '../../wire';
import { RuntimeRefusal } from './remote-client';
import type { RuntimeVaults } from './runtime-vaults';

// The credentials this VS Code put into a detached runtime: the secret goes to the runtime's vault (its egress proxy
// and MCP connections inject it there) and stays in VS Code's secret storage too, under the runtime's address, so
// secret storage remains where the user's credentials live: rotating one in VS Code rotates it in the runtime,
// removing it removes it there, and sessions started here attach the vaults holding this VS Code's credentials
// (another user's on a shared runtime stay theirs). Secret storage only ever gets a secret the runtime accepted.

const PREFIX = 'runtime-credential/';

export class MirroredVaults implements RuntimeVaults {
  readonly secretsHeldIn: string;
  private readonly prefix: string;

  constructor(
    private readonly runtime: RuntimeVaults,
    private readonly copies: SecretVault,
    where: string,
  ) {
    this.secretsHeldIn = `${runtime.secretsHeldIn} (and VS Code's secret storage)`;
    this.prefix = `${PREFIX}${encodeURIComponent(where)}/`;
  }

  list(): Promise<Vault[]> {
    return this.runtime.list();
  }

  create(params: VaultCreateParams): Promise<Vault> {
    return this.runtime.create(params);
  }

  credentials(vaultId: string): Promise<Credential[]> {
    return this.runtime.credentials(vaultId);
  }

  retrieveCredential(vaultId: string, id: string): Promise<Credential> {
    return this.runtime.retrieveCredential(vaultId, id);
  }

  async createCredential(vaultId: string, params: CredentialCreateParams): Promise<Credential> {
    const created = await this.runtime.createCredential(vaultId, params);
    try {
      await this.copies.set(this.key(vaultId, created.id), JSON.stringify(params.auth));
    } catch (err) {
      // Not kept in VS Code means not kept: the runtime's copy goes too.
      await this.runtime.deleteCredential(vaultId, created.id).catch(() => undefined);
      throw err;
    }
    return created;
  }

  async updateCredential(vaultId: string, id: string, params: CredentialUpdateParams): Promise<Credential> {
    const updated = await this.runtime.updateCredential(vaultId, id, params);
    if (params.auth) {
      const key = this.key(vaultId, id);
      const given = Object.fromEntries(Object.entries(params.auth).filter(([, v]) => v !== undefined && v !== null));
      await this.copies.set(key, JSON.stringify({ ...readCopy(await this.copies.get(key)), ...given }));
    }
    return updated;
  }

  async deleteCredential(vaultId: string, id: string): Promise<void> {
    try {
      await this.runtime.deleteCredential(vaultId, id);
    } catch (err) {
      // Gone from the runtime already (deleted through its API): VS Code's copy goes all the same.
      if (!(err instanceof RuntimeRefusal && err.status === 404)) throw err;
    }
    await this.copies.delete(this.key(vaultId, id));
  }

  /** The runtime's active vaults that hold a credential this VS Code put there. */
  async vaultIds(): Promise<string[]> {
    const mine = new Set((await this.copies.keys()).filter((k) => k.startsWith(this.prefix)).map((k) => k.slice(this.prefix.length).split('/')[0]!));
    return (await this.runtime.list()).map((v) => v.id).filter((id) => mine.has(id));
  }

  private key(vaultId: string, credentialId: string): string {
    return `${this.prefix}${vaultId}/${credentialId}`;
  }
}

function readCopy(raw: string | undefined): Record<string, unknown> {
  if (raw === undefined) return {};
  try {
    const parsed: unknown = JSON.parse(raw);
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
