import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pack, type Pack } from 'tar-stream';
import { buildAgentGit } from '../repo/agent-git';
import { execCollect, type Container } from './client';
import { WORKSPACE } from './container';
import type { Owner } from './snapshot';

// Copy mode's /workspace/.git: the agent's clone of the user's repository (repo/agent-git.ts), built on the host and
// streamed in as tar owned by the sandbox user, like the files. Whatever .git the copy left there is replaced. Its
// objects are also copied into the host-side baseline's git dir: they are the blobs of most copied files, which the
// baseline then need not hash and store again.

async function addDir(archive: Pack, abs: string, name: string, owner: Owner): Promise<void> {
  archive.entry({ name: `${name}/`, type: 'directory', mode: 0o755, uid: owner.uid, gid: owner.gid });
  for (const entry of await fs.readdir(abs, { withFileTypes: true })) {
    const child = path.join(abs, entry.name);
    if (entry.isDirectory()) {
      await addDir(archive, child, `${name}/${entry.name}`, owner);
    } else if (entry.isFile()) {
      const st = await fs.stat(child);
      const content = await fs.readFile(child);
      await new Promise<void>((resolve, reject) =>
        archive.entry({ name: `${name}/${entry.name}`, mode: st.mode & 0o777, uid: owner.uid, gid: owner.gid, size: content.length }, content, (e) => (e ? reject(e) : resolve())),
      );
    }
  }
}

/**
 * Builds the agent's clone of `repoPath` (whose copy holds `files`), streams it into /workspace/.git, and copies its
 * objects into the git dir `objectsTo` (an existing object is kept: objects are immutable).
 */
export async function seedAgentGit(container: Container, who: Owner & { user: string }, repoPath: string, files: readonly string[], objectsTo: string): Promise<void> {
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'hangar-agent-git-'));
  try {
    const gitDir = path.join(tmp, '.git');
    await buildAgentGit({ repoPath, gitDir, workTree: repoPath, files });
    const shared = fs.cp(path.join(gitDir, 'objects'), path.join(objectsTo, 'objects'), { recursive: true, force: false });
    await Promise.all([shared, streamGitDir(container, who, gitDir)]);
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
}

async function streamGitDir(container: Container, { user, ...owner }: Owner & { user: string }, gitDir: string): Promise<void> {
  const cleared = await execCollect(container, { cmd: ['rm', '-rf', `${WORKSPACE}/.git`], user, workdir: WORKSPACE });
  if (cleared.exitCode !== 0) throw new Error(`clearing /workspace/.git failed: ${cleared.stderr.toString('utf8').trim()}`);
  const archive = pack();
  const packed = addDir(archive, gitDir, '.git', owner).then(() => archive.finalize(), (err: unknown) => archive.destroy(err as Error));
  await Promise.all([container.putArchive(Readable.from(archive), { path: WORKSPACE }), packed]);
}
