import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { isErrno, writeFileAtomic } from '../log/fsutil';

// Files only their owner may read: the CLI's vault and the egress proxy's CA key. They are written whole (temp file,
// fsync, rename) with mode 0600 in a 0700 directory, and a file that others could read or write (or that belongs to
// someone else) is refused rather than trusted: its secrets may already be out, or planted.

export class UnsafePermissionsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsafePermissionsError';
  }
}

const isPosix = process.platform !== 'win32';

function checkStat(file: string, st: { mode: number; uid: number }, kind: 'file' | 'directory'): void {
  if (!isPosix) return;
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) {
    throw new UnsafePermissionsError(`${file} belongs to uid ${st.uid}, not to you (uid ${uid}); Hangar will not use a ${kind} of secrets someone else owns.`);
  }
  const loose = kind === 'file' ? st.mode & 0o077 : st.mode & 0o022;
  if (loose !== 0) {
    const mode = (st.mode & 0o777).toString(8).padStart(4, '0');
    const fix = kind === 'file' ? `chmod 600 ${JSON.stringify(file)}` : `chmod 700 ${JSON.stringify(file)}`;
    throw new UnsafePermissionsError(`${file} has mode ${mode}, so other users can ${kind === 'file' ? 'read' : 'change'} it; Hangar refuses to use it. Run: ${fix}`);
  }
}

/** Creates `dir` with mode 0700 if missing; refuses one other users can write to. */
export async function ensurePrivateDir(dir: string): Promise<void> {
  await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
  checkStat(dir, await fsp.stat(dir), 'directory');
}

/** The file's content, or null when it does not exist. Throws UnsafePermissionsError for a file others can access. */
export async function readPrivateFile(file: string): Promise<string | null> {
  let handle;
  try {
    handle = await fsp.open(file, 'r');
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return null;
    throw err;
  }
  try {
    // Checked on the opened descriptor, so a file swapped in after the check cannot be read instead.
    checkStat(file, await handle.stat(), 'file');
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}

/** Replaces `file` atomically with mode 0600 content. */
export async function writePrivateFile(file: string, data: string): Promise<void> {
  await ensurePrivateDir(path.dirname(file));
  await writeFileAtomic(file, data, { mode: 0o600 });
}
