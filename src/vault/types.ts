// The Vault holds secret values. Every reader but the egress proxy and the harness gets metadata only (DESIGN.md
// invariant 5); secret values never appear in an API response, event, log line or tool result.
export interface Vault {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string): Promise<void>;
  delete(key: string): Promise<void>;
  keys(): Promise<string[]>;
}

/** Where the model API key lives in any Vault. */
export const MODEL_API_KEY = 'model/anthropic-api-key';
