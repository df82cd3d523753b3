import os from 'node:os';
import path from 'node:path';

// The Hangar home a runtime keeps its storage in when none is given: where `hangar serve` announces itself
// (runtime.json), so the CLI's `--runtime detached` and VS Code's `hangar.runtime.url: "detached"` find the same one.

export function defaultHangarHome(): string {
  if (process.env.HANGAR_HOME) return path.resolve(process.env.HANGAR_HOME);
  const data = process.env.XDG_DATA_HOME || path.join(os.homedir(), '.local', 'share');
  return path.join(data, 'hangar');
}
