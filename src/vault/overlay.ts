import { vaultEntries, type Vault } from './types';

// A vault whose values can be shadowed from outside, read-only: the CLI's ANTHROPIC_API_KEY wins over the key kept
// in the file. The scrubber learns both, the override and the value it shadows (entries()): a stored key that is not
// in use is still a secret. Writes and deletes go to the store underneath.

export class OverlayVault implements Vault {
  private readonly overrides: Map<string, string>;

  constructor(
    private readonly store: Vault,
    overrides: Record<string, string | undefined>,
  ) {
    this.overrides = new Map(Object.entries(overrides).filter((e): e is [string, string] => Boolean(e[1])));
  }

  async get(key: string): Promise<string | undefined> {
    return this.overrides.get(key) ?? (await this.store.get(key));
  }

  set(key: string, value: string): Promise<void> {
    return this.store.set(key, value);
  }

  delete(key: string): Promise<void> {
    return this.store.delete(key);
  }

  async entries(): Promise<[string, string][]> {
    return [...this.overrides.entries(), ...(await vaultEntries(this.store))];
  }

  /** The overrides are fixed for the overlay's life, so only the store can change. */
  async version(): Promise<string> {
    return this.store.version ? `overlay:${await this.store.version()}` : `overlay:unversioned:${Math.random()}`;
  }

  async keys(): Promise<string[]> {
    return [...new Set([...this.overrides.keys(), ...(await this.store.keys())])];
  }
}
