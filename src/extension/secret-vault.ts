import type * as vscode from 'vscode';
import type { Vault } from '../vault/types';

// The extension's credential vault: VS Code SecretStorage (the OS keychain on desktop), never settings or files.
// SecretStorage cannot enumerate, so the names in use are tracked in a second secret (names only, no values).

const INDEX_KEY = 'hangar.vault.keys';
const PREFIX = 'hangar.vault/';

export class SecretStorageVault implements Vault {
  /** Bumped by every change, ours or another window's (onDidChange), so the scrubber skips the IPC reads otherwise. */
  private changes = 0;

  constructor(private readonly secrets: vscode.SecretStorage) {
    // Lives as long as the extension host, like the vault itself.
    secrets.onDidChange(() => void this.changes++);
  }

  async version(): Promise<string> {
    return String(this.changes);
  }

  get(key: string): Promise<string | undefined> {
    return Promise.resolve(this.secrets.get(PREFIX + key));
  }

  async set(key: string, value: string): Promise<void> {
    if (!key) throw new Error('a vault key needs a name');
    await this.secrets.store(PREFIX + key, value);
    this.changes++;
    const keys = new Set(await this.keys());
    if (!keys.has(key)) await this.secrets.store(INDEX_KEY, JSON.stringify([...keys, key]));
  }

  async delete(key: string): Promise<void> {
    await this.secrets.delete(PREFIX + key);
    this.changes++;
    const keys = (await this.keys()).filter((k) => k !== key);
    await this.secrets.store(INDEX_KEY, JSON.stringify(keys));
  }

  async keys(): Promise<string[]> {
    const raw = await this.secrets.get(INDEX_KEY);
    if (!raw) return [];
    try {
      const parsed: unknown = JSON.parse(raw);
      return Array.isArray(parsed) ? parsed.filter((k): k is string => typeof k === 'string') : [];
    } catch {
      return [];
    }
  }
}
