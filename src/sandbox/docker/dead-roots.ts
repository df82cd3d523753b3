import fs from 'node:fs';
import path from 'node:path';
import type { Docker } from './client';
import { removeContainer } from './container';
import { LABEL_LAYER, LABEL_MANAGED, LABEL_ROOT, LABEL_SESSION, rootKey } from './names';
import { DEFAULT_IMAGE } from './plan';
import { removeVolume } from './volume';

// The sandboxes of storage roots that no longer exist: a user deleted their storage folder (or uninstalled the
// extension that kept it) while sessions still had volumes, and no reaper of that root will ever run again. Only
// overlay volumes are judged: their options name their layer dirs, so the root is known by its path, and the root
// label (a hash of that path) must agree. Such a volume holds no files (they are in the layer dirs, gone with the
// root), so removing it loses nothing; a plain (copy mode) volume holds a session's files and is never touched here.
// A root is dead only when the engine itself cannot see it: this process may see another file system than the engine
// (Hangar in a devcontainer sharing the host's engine sees none of the host's roots), so a root missing here is
// checked by creating (never starting) a container that binds it, which the engine refuses for a missing path.

interface VolumeListed {
  Name: string;
  Labels: Record<string, string> | null;
  Options: Record<string, string> | null;
}

/** The storage root an overlay volume's layer dirs are under, when its options and labels agree on it. */
export function overlayRoot(v: VolumeListed): string | null {
  const layer = v.Labels?.[LABEL_LAYER];
  const upper = /(?:^|,)upperdir=([^,]+)/.exec(v.Options?.o ?? '')?.[1];
  if (v.Options?.type !== 'overlay' || !layer || !upper) return null;
  const root = path.dirname(path.dirname(path.dirname(upper)));
  const ok = upper === path.join(root, 'layers', layer, 'upper') && rootKey(root) === v.Labels?.[LABEL_ROOT];
  return ok ? root : null;
}

/** Does the engine see `dir`? null when it could not say (no probe image, an engine error): the root is kept. */
async function engineSees(docker: Docker, dir: string): Promise<boolean | null> {
  try {
    const probe = await docker.createContainer({
      Image: DEFAULT_IMAGE,
      Cmd: ['true'],
      Entrypoint: [],
      NetworkDisabled: true,
      Labels: { [LABEL_MANAGED]: '1', [LABEL_SESSION]: 'probe' },
      HostConfig: { Mounts: [{ Type: 'bind', Source: dir, Target: '/probe', ReadOnly: true }] },
    });
    await removeContainer(docker, probe.id);
    return true;
  } catch (err) {
    return /bind source path does not exist/i.test(String((err as Error).message)) ? false : null;
  }
}

/**
 * Removes the overlay volumes (and the containers on them) of every storage root but `ownRoot` that neither this
 * process nor the engine can find; returns how many volumes went.
 */
export async function sweepDeadRoots(docker: Docker, ownRoot: string): Promise<number> {
  const { Volumes: volumes } = await docker.listVolumes({ filters: { label: [`${LABEL_MANAGED}=1`] } });
  const byRoot = new Map<string, string[]>();
  for (const v of volumes ?? []) {
    const root = overlayRoot(v);
    if (!root || root === path.resolve(ownRoot) || fs.existsSync(root)) continue;
    byRoot.set(root, [...(byRoot.get(root) ?? []), v.Name]);
  }
  let removed = 0;
  for (const [root, names] of byRoot) {
    if ((await engineSees(docker, root)) !== false) continue;
    for (const name of names) {
      for (const c of await docker.listContainers({ all: true, filters: { volume: [name], label: [`${LABEL_MANAGED}=1`] } })) await removeContainer(docker, c.Id);
      // One still in use by a container of someone else's stays; the others go all the same.
      if (await removeVolume(docker, name).then(() => true, () => false)) removed++;
    }
  }
  return removed;
}
