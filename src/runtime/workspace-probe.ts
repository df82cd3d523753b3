import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import { constants } from 'node:fs';
import type { WorkspaceProbeParams, WorkspaceProbeResult } from '../wire/workspace';

// Can this runtime work on a client's workspace in place? Only if the probe file the client just wrote there, with
// its random token, reads the same here: a directory at the same path on another machine, or an empty one mounted
// over it, holds no such file. The name is fixed by the schema (PROBE_NAME), so this reads no other file.

const TOKEN_BYTES = 64;

export async function probeWorkspace(p: WorkspaceProbeParams): Promise<WorkspaceProbeResult> {
  const answer = (visible: boolean, reason: string): WorkspaceProbeResult => ({ type: 'workspace_probe', visible, reason });
  if (!path.isAbsolute(p.path)) return answer(false, `${p.path} is not an absolute path, so it names no directory here.`);
  const dir = await stat(p.path).catch(() => null);
  if (!dir?.isDirectory()) return answer(false, `There is no directory ${p.path} on the runtime's machine.`);
  const found = await readToken(path.join(p.path, p.probe.name));
  if (found !== p.probe.token) return answer(false, `The runtime's machine has a directory ${p.path}, but it is not this workspace (another directory at the same path, or a copy).`);
  return answer(true, `The runtime reads this workspace at ${p.path}.`);
}

/** The probe file's first bytes, or null when it is absent, not a regular file, or a symbolic link. */
async function readToken(file: string): Promise<string | null> {
  const handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW).catch(() => null);
  if (!handle) return null;
  try {
    if (!(await handle.stat()).isFile()) return null;
    const buf = Buffer.alloc(TOKEN_BYTES + 1);
    const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
    return buf.subarray(0, bytesRead).toString('utf8');
  } finally {
    await handle.close();
  }
}
