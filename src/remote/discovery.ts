import { promises as fsp } from 'node:fs';
import path from 'node:path';
import * as z from 'zod';
import { writeFileAtomic } from '../log/fsutil';
import { readJsonFile } from '../log/json-file';

// The well-known file through which a detached runtime (`hangar serve`) announces itself in its Hangar home:
// `<home>/runtime.json`, 0600 like the token it holds, written once the server listens and removed when it stops. A
// file left by a runtime that died (its pid gone) is treated as absent, so clients fall back instead of hanging.

export const RUNTIME_FILE = 'runtime.json';

export const RuntimeAnnouncement = z.strictObject({
  url: z.string().url(),
  token: z.string().min(1),
  pid: z.number().int().positive(),
  /** The certificate's SHA-256 fingerprint when it serves HTTPS, for pinning; null over loopback http. */
  fingerprint256: z.string().nullable(),
  started_at: z.string(),
});
export type RuntimeAnnouncement = z.infer<typeof RuntimeAnnouncement>;

export async function announceRuntime(home: string, info: RuntimeAnnouncement): Promise<() => Promise<void>> {
  const file = path.join(home, RUNTIME_FILE);
  await writeFileAtomic(file, `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
  return async () => {
    // Another runtime may have announced itself since (started on the same home): only our own file goes.
    const now = await readJsonFile(file, RuntimeAnnouncement, (m) => new Error(m)).catch(() => null);
    if (now?.pid === info.pid && now.started_at === info.started_at) await fsp.rm(file, { force: true });
  };
}

/** The runtime announced in `home`, or null when none is, or its process is gone. A damaged file is an error naming it. */
export async function discoverRuntime(home: string): Promise<RuntimeAnnouncement | null> {
  const file = path.join(home, RUNTIME_FILE);
  const info = await readJsonFile(file, RuntimeAnnouncement, (m) => new Error(`${m}. Delete it; hangar serve writes it again when it starts.`));
  return info && alive(info.pid) ? info : null;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
