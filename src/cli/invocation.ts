import { existsSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// The command a printed hint names (`… apply ID`), as it works when pasted into a shell in any directory: `hangar`
// when that is what PATH finds, otherwise node with the absolute path of this CLI. A --storage the user gave is
// carried over, since without it the hint would look in another place for the session.

let storageOption: string | undefined;

export function rememberStorage(dir: string | undefined): void {
  storageOption = dir === undefined ? undefined : path.resolve(dir);
}

/** How this CLI was started, found once: `hangar events` of a long session names it in every long tool result's hint. */
let started: string | undefined;

export function cliCommand(): string {
  const base = (started ??= startedAs());
  return storageOption === undefined ? base : `${base} --storage ${shellQuote(storageOption)}`;
}

/** `hangar` when PATH finds this CLI by that name, else node and its absolute path (a realpath and a PATH walk each). */
function startedAs(): string {
  const script = process.argv[1] ? realOrSelf(path.resolve(process.argv[1])) : undefined;
  return script === undefined ? 'hangar' : onPath('hangar') === script ? 'hangar' : `${onPath('node') === realOrSelf(process.execPath) ? 'node' : shellQuote(process.execPath)} ${shellQuote(script)}`;
}

/** `cliCommand()` followed by arguments, each quoted for a POSIX shell when it needs to be. */
export function cliHint(...args: string[]): string {
  return [cliCommand(), ...args.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : shellQuote(a)))].join(' ');
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (existsSync(candidate)) return realOrSelf(candidate);
  }
  return undefined;
}

function realOrSelf(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return file;
  }
}

export function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The Hangar folder this CLI runs from (it holds the sample repository and the setup scripts). */
export function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json')) || !existsSync(path.join(dir, 'sandbox', 'sample-repo'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error('cannot find the Hangar package (sandbox/sample-repo) next to this program');
    dir = up;
  }
  return dir;
}
