import type Anthropic from '@anthropic-ai/sdk';
import { LOOPBACK_HOSTS } from '../../remote/connect';
import { Credential, Vault, type CredentialCreateParams, type CredentialUpdateParams, type VaultCreateParams } from '../../wire';
import { listAll, parseWire, type RemoteCall } from './remote-call';
import type { RuntimeVaults } from './runtime-vaults';

// Vaults over a detached runtime: the SDK's beta.vaults against `hangar serve`. A secret sent here lands in that
// runtime's vault (its 0600 file, or its own keychain), where its egress proxy and MCP connections read it; the API
// never returns it. Secrets travel only over TLS or to this machine's loopback.

/** Why a secret must not be sent to this runtime address, or null when the link is TLS or loopback. */
export function credentialTransportProblem(runtimeUrl: string): string | null {
  const url = new URL(runtimeUrl);
  if (url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK_HOSTS.includes(url.hostname))) return null;
  return `Hangar does not send credentials to ${url.origin}: it is ${url.protocol}// to another machine, so the secret would cross the network unencrypted. Serve that runtime over TLS (hangar serve --tls-cert/--tls-key) and set hangar.runtime.url to its https:// address.`;
}

export class RemoteVaults implements RuntimeVaults {
  readonly secretsHeldIn: string;

  constructor(
    private readonly sdk: Anthropic,
    private readonly call: RemoteCall,
    private readonly where: string,
  ) {
    this.secretsHeldIn = `the vault of the runtime at ${where}`;
  }

  list(): Promise<Vault[]> {
    return listAll(this.call, () => this.sdk.beta.vaults.list({ limit: 100 }), Vault, 'a vault');
  }

  async create(params: VaultCreateParams): Promise<Vault> {
    return parseWire(Vault, await this.call(() => this.sdk.beta.vaults.create(params)), 'a vault');
  }

  credentials(vaultId: string): Promise<Credential[]> {
    return listAll(this.call, () => this.sdk.beta.vaults.credentials.list(vaultId, { limit: 100 }), Credential, 'a credential');
  }

  async retrieveCredential(vaultId: string, id: string): Promise<Credential> {
    return parseWire(Credential, await this.call(() => this.sdk.beta.vaults.credentials.retrieve(id, { vault_id: vaultId })), 'a credential');
  }

  async createCredential(vaultId: string, params: CredentialCreateParams): Promise<Credential> {
    this.assertSecretTransport();
    // The wire's params are the reference's; the SDK's types name the same JSON.
    const created = await this.call(() => this.sdk.beta.vaults.credentials.create(vaultId, params as unknown as Anthropic.Beta.Vaults.CredentialCreateParams));
    return parseWire(Credential, created, 'a credential');
  }

  async updateCredential(vaultId: string, id: string, params: CredentialUpdateParams): Promise<Credential> {
    if (params.auth) this.assertSecretTransport();
    const updated = await this.call(() => this.sdk.beta.vaults.credentials.update(id, { vault_id: vaultId, ...params } as unknown as Anthropic.Beta.Vaults.CredentialUpdateParams));
    return parseWire(Credential, updated, 'a credential');
  }

  async deleteCredential(vaultId: string, id: string): Promise<void> {
    await this.call(() => this.sdk.beta.vaults.credentials.delete(id, { vault_id: vaultId }));
  }

  private assertSecretTransport(): void {
    const problem = credentialTransportProblem(this.where);
    if (problem) throw new Error(problem);
  }
}
