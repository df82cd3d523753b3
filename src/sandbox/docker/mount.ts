import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pack } from 'tar-stream';
import type { SandboxMount } from '../types';
import type { Docker } from './client';
import { runningContainer } from './container';
import type { SessionState } from './state';

// A file resource added to a live session. The engine cannot add a bind to a container, so the file is added to the
// session's binds (the next container of the session, a revival, mounts it read-only like the others) and copied into
// the running container through the archive API: owned by root, mode 0444, in directories the engine makes root's
// (0755), which the agent's user (never root) cannot change.

/** Adds `m` to the state's binds; false when it was there already. */
export function addBind(state: SessionState, m: SandboxMount): boolean {
  if (state.settings.binds.some((b) => b.target === m.target)) return false;
  state.settings.binds = [...state.settings.binds, { source: m.source, target: m.target, readOnly: true }];
  return true;
}

/** Copies the file into the container when it runs and does not mount that path already. */
export async function copyIntoContainer(docker: Docker, containerId: string, m: SandboxMount): Promise<void> {
  const container = await runningContainer(docker, containerId);
  if (!container) return;
  const info = await container.inspect();
  if (info.Mounts.some((x) => x.Destination === m.target)) return;
  const size = (await stat(m.source)).size;
  const archive = pack();
  const sent = container.putArchive(Readable.from(archive), { path: '/' });
  await new Promise<void>((resolve, reject) => {
    const entry = archive.entry({ name: m.target.replace(/^\/+/, ''), mode: 0o444, uid: 0, gid: 0, size }, (err) => (err ? reject(err) : resolve()));
    const source = createReadStream(m.source);
    source.on('error', reject);
    source.pipe(entry);
  });
  archive.finalize();
  await sent;
}
