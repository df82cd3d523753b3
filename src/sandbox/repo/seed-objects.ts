import { copyFile, link, mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { errnoCode } from '../../tools/paths';

// A git objects dir filled from another one without reading an object: every pack and loose object file is hard-linked
// (copied where the two dirs are on different file systems). Safe to share: git never writes an object file in place
// (a new object or pack is written under a temporary name and renamed; gc is off in Hangar's git dirs, and a repack
// would unlink, which leaves the other dir's link whole), so neither store can change the other's objects. Work tree
// files are never linked this way: tools write them in place, which would change both sandboxes at once.

const LINKED = /^(?:[0-9a-f]{2}|pack)$/;
/** A loose object's or a pack's name: temporary files being written (git's tmp_*, Hangar's *.tmp) are left out. */
const OBJECT_FILE = /^(?:[0-9a-f]{38}|pack-[0-9a-f]{40}\.(?:pack|idx|rev))$/;

/** Links the loose objects and packs of objects dir `from` into objects dir `to` (files `to` has already are kept). */
export async function linkObjects(from: string, to: string): Promise<void> {
  for (const dir of (await readdir(from, { withFileTypes: true })).filter((d) => d.isDirectory() && LINKED.test(d.name))) {
    const names = (await readdir(path.join(from, dir.name))).filter((n) => OBJECT_FILE.test(n));
    if (names.length === 0) continue;
    await mkdir(path.join(to, dir.name), { recursive: true });
    for (const name of names) await linkOrCopy(path.join(from, dir.name, name), path.join(to, dir.name, name));
  }
}

async function linkOrCopy(from: string, to: string): Promise<void> {
  try {
    await link(from, to);
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'EEXIST') return;
    if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'EMLINK') throw err;
    await copyFile(from, to);
  }
}
