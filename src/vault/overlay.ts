import type { Vault } from './types';

// A vault whose values can be shadowed from outside, read-only: the CLI's ANTHROPIC_API_KEY wins over the key kept
// in the file, yet the scrubber still learns it because it reads the vault like everyone else. Writes and deletes
// go to the store underneath.

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

  async keys(): Promise<string[]> {
    return [...new Set([...this.overrides.keys(), ...(await this.store.keys())])];
  }
}
