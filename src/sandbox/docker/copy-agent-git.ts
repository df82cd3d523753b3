import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { buildAgentGit } from '../repo/agent-git';
import { git, isolatedGitEnv } from '../repo/git';
import { listRepository, type RepoListing } from '../repo/listing';
import { execCollect, type Container } from './client';
import { WORKSPACE } from './container';
import type { Owner } from './snapshot';
import { tarChunks, type TarEntry } from './tar-writer';
import { treeEntries, type TreeDiffer, type TreeEntry } from './tree-diff';

// Copy mode's /workspace/.git: the agent's clone of the user's repository (repo/agent-git.ts), built on the host and
// streamed in as tar owned by the sandbox user, like the files. Whatever .git the copy left there is replaced. Its
// objects are also copied into the host-side baseline's git dir: they are the blobs of most copied files, which the
// baseline then need not hash and store again, and HEAD's tree is the baseline's but for the user's uncommitted
// changes (copy-baseline.ts#record). It is built while the files are copied (copy-seed.ts, seedCopy), and goes in
// the files' own tar when the volume was empty (copy-mode.ts#seedWorkspace).

/** The clone at `abs` as tar entries under `name` (.git), owned by the sandbox user. */
export async function* agentGitEntries(abs: string, owner: Owner, name = '.git'): AsyncGenerator<TarEntry> {
  const ids = { uid: owner.uid, gid: owner.gid };
  yield { name, type: 'directory', mode: 0o755, mtime: new Date(), ...ids };
  for (const entry of await fs.readdir(abs, { withFileTypes: true })) {
    const child = path.join(abs, entry.name);
    if (entry.isDirectory()) {
      yield* agentGitEntries(child, owner, `${name}/${entry.name}`);
    } else if (entry.isFile()) {
      const st = await fs.stat(child);
      yield { name: `${name}/${entry.name}`, type: 'file', mode: st.mode & 0o777, mtime: st.mtime, content: await fs.readFile(child), ...ids };
    }
  }
}

/** The tree of the clone's HEAD commit: what the copy sends, for a repository without uncommitted changes. */
export interface HeadTree {
  tree: string;
  entries: Map<string, TreeEntry>;
}

/** The agent's clone built on the host, in a temporary dir until disposed. */
export interface AgentGitDir {
  gitDir: string;
  /** HEAD's tree; its objects (blobs included) are in the git dir the clone's objects were copied to. */
  head: HeadTree;
  dispose(): Promise<void>;
}

/**
 * Builds the agent's clone of `repoPath` on the host (no container needed: it runs while the files are copied) and
 * copies its objects into `objectsTo`'s git dir once that is made (an existing object is kept: objects are immutable;
 * a copy racing the dir's `git init` failed on mkdir of objects/ when the clone was built first). `listing`: the
 * copy's, when it is made already.
 */
export async function prepareAgentGit(repoPath: string, objectsTo: TreeDiffer, listing: Promise<RepoListing> = listRepository(repoPath)): Promise<AgentGitDir> {
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'hangar-agent-git-'));
  const dispose = () => fs.rm(tmp, { recursive: true, force: true });
  try {
    const gitDir = path.join(tmp, '.git');
    const { files } = await listing;
    await buildAgentGit({ repoPath, gitDir, workTree: repoPath, files });
    const [head] = await Promise.all([
      Promise.all([git(['rev-parse', 'HEAD^{tree}'], { env: isolatedGitEnv({ GIT_DIR: gitDir }) }), treeEntries(gitDir, 'HEAD')]),
      objectsTo.init().then(() => fs.cp(path.join(gitDir, 'objects'), path.join(objectsTo.gitDir, 'objects'), { recursive: true, force: false })),
    ]);
    return { gitDir, head: { tree: head[0].toString('utf8').trim(), entries: head[1] }, dispose };
  } catch (err) {
    await dispose();
    throw err;
  }
}

/** Streams the clone into /workspace/.git, owned by the sandbox user, in place of whatever .git is there. */
export async function installAgentGit(container: Container, { user, ...owner }: Owner & { user: string }, gitDir: string): Promise<void> {
  const cleared = await execCollect(container, { cmd: ['rm', '-rf', `${WORKSPACE}/.git`], user, workdir: WORKSPACE });
  if (cleared.exitCode !== 0) throw new Error(`clearing /workspace/.git failed: ${cleared.stderr.toString('utf8').trim()}`);
  await container.putArchive(Readable.from(tarChunks(agentGitEntries(gitDir, owner))), { path: WORKSPACE });
}
