import os from 'node:os';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import * as z from 'zod';
import { withFileLock } from '../log/file-lock';
import { isErrno } from '../log/fsutil';
import { ensurePrivateDir, readPrivateFile, writePrivateFile } from './private-file';
import type { Vault } from './types';

// The CLI's vault: one JSON file per user, mode 0600 in a 0700 directory outside any workspace ($HANGAR_HOME, else
// the XDG config directory). Writes replace the file atomically under a lock, so two CLI processes never lose each
// other's changes; a file other users can read is refused (private-file.ts), and a damaged one is reported, never
// overwritten, because overwriting it would throw the user's secrets away.

export class VaultFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VaultFileError';
  }
}

const VaultFile = z.object({ version: z.literal(1), values: z.record(z.string(), z.string()) });
type VaultFile = z.infer<typeof VaultFile>;

const Key = z.string().min(1).max(512);

export function defaultVaultPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HANGAR_HOME) return path.join(path.resolve(env.HANGAR_HOME), 'vault.json');
  const config = env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config');
  return path.join(config, 'hangar', 'vault.json');
}

export class FileVault implements Vault {
  constructor(readonly file: string = defaultVaultPath()) {}

  async get(key: string): Promise<string | undefined> {
    return (await this.read()).values[key];
  }

  async set(key: string, value: string): Promise<void> {
    Key.parse(key);
    await this.update((v) => void (v.values[key] = value));
  }

  async delete(key: string): Promise<void> {
    await this.update((v) => void delete v.values[key]);
  }

  async keys(): Promise<string[]> {
    return Object.keys((await this.read()).values);
  }

  /**
   * One stat: every write replaces the file by rename (a new inode, new times), whichever process made it, so the
   * scrubber re-reads the file only after a change.
   */
  async version(): Promise<string> {
    try {
      const st = await fsp.stat(this.file, { bigint: true });
      return `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return 'none';
      throw err;
    }
  }

  private async read(): Promise<VaultFile> {
    const text = await readPrivateFile(this.file);
    if (text === null) return { version: 1, values: {} };
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new VaultFileError(`The vault file ${this.file} is not valid JSON; Hangar leaves it untouched. Repair it, or move it away to start an empty vault.`);
    }
    const parsed = VaultFile.safeParse(json);
    if (!parsed.success) throw new VaultFileError(`The vault file ${this.file} does not have the expected shape ({"version":1,"values":{…}}); Hangar leaves it untouched.`);
    return parsed.data;
  }

  private async update(change: (v: VaultFile) => void): Promise<void> {
    await ensurePrivateDir(path.dirname(this.file));
    await withFileLock(`${this.file}.lock`, async () => {
      const current = await this.read();
      const values = { ...current.values };
      const next: VaultFile = { version: 1, values };
      change(next);
      await writePrivateFile(this.file, `${JSON.stringify(next, null, 2)}\n`);
    });
  }
}
