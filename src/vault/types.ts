// The Vault holds secret values. Every reader but the egress proxy and the harness gets metadata only (ARCHITECTURE.md
// invariant 5); secret values never appear in an API response, event, log line or tool result.
export interface Vault {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string): Promise<void>;
  delete(key: string): Promise<void>;
  keys(): Promise<string[]>;
  /**
   * Changes whenever any value may have changed, in this process or another (the CLI's set-key while VS Code runs),
   * and costs far less than reading the values. Without it the scrubber re-reads the vault before every outcome.
   */
  version?(): Promise<string>;
  /** Every value the vault holds, shadowed ones included (an overlay); default: get() of each key. */
  entries?(): Promise<[string, string][]>;
}

/** Every value of a vault, shadowed ones included. */
export async function vaultEntries(vault: Vault): Promise<[string, string][]> {
  if (vault.entries) return vault.entries();
  const out: [string, string][] = [];
  for (const key of await vault.keys()) {
    const value = await vault.get(key);
    if (value) out.push([key, value]);
  }
  return out;
}

/** Where the model API key lives in any Vault. */
export const MODEL_API_KEY = 'model/anthropic-api-key';
