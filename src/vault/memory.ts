import type { Vault } from './types';

/** A Vault that lives and dies with the process: tests, and the CLI's environment-variable key. */
export class MemoryVault implements Vault {
  private readonly values = new Map<string, string>();
  private changes = 0;

  constructor(initial: Record<string, string | undefined> = {}) {
    for (const [k, v] of Object.entries(initial)) if (v) this.values.set(k, v);
  }

  async get(key: string): Promise<string | undefined> {
    return this.values.get(key);
  }

  async set(key: string, value: string): Promise<void> {
    this.values.set(key, value);
    this.changes++;
  }

  async delete(key: string): Promise<void> {
    this.values.delete(key);
    this.changes++;
  }

  async version(): Promise<string> {
    return String(this.changes);
  }

  async keys(): Promise<string[]> {
    return [...this.values.keys()];
  }
}
