import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const made: string[] = [];

/** A temp dir `hangar-<prefix>-…` that is removed after the whole run (a root-level hook, after suites reap theirs). */
export function tmpDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `hangar-${prefix}-`));
  made.push(dir);
  return dir;
}

after(() => {
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

/** Every byte of every file below `dir` (latin1, so any byte survives), for checks that a secret appears nowhere. */
export function allBytes(dir: string): string {
  let out = '';
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const abs = path.join(dir, entry.name);
    if (entry.isDirectory()) out += allBytes(abs);
    else if (entry.isFile()) out += fs.readFileSync(abs).toString('latin1');
  }
  return out;
}
