import os from 'node:os';
import path from 'node:path';

// Where the CLI keeps sessions when --storage is not given. Apart from env.ts, so a command that opens no runtime
// (hangar sessions) finds the storage without loading one.

export function defaultStorage(): string {
  if (process.env.HANGAR_HOME) return path.resolve(process.env.HANGAR_HOME);
  const data = process.env.XDG_DATA_HOME || path.join(os.homedir(), '.local', 'share');
  return path.join(data, 'hangar');
}
