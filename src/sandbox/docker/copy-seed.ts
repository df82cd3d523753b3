import type { Container } from './client';
import { CopyBaseline } from './copy-baseline';
import { installAgentGit, prepareAgentGit, type AgentGitDir } from './copy-agent-git';
import { seedWorkspace, type CopiedFiles } from './copy-mode';
import { engineExec } from './hands';
import { listRepository, type RepoListing } from '../repo/listing';
import type { Owner } from './snapshot';
import { TreeDiffer } from './tree-diff';

// Copy mode's seeding of a new container: the host side prepared before the container exists (prepareCopy), then the
// files, the agent's .git and the baseline once it runs (seedCopy). CopyBaseline (copy-baseline.ts) keeps the
// baseline and the changes from then on.

/**
 * After the copy (which sent `copied`): the agent's .git (a clone of the user's repository, `clone` when it was
 * prepared already) into /workspace unless the copy carried it, and the baseline recorded on the host in `differ`'s
 * git dir, the layer's diff.git the sandbox's CopyBaseline reads later. The two go on at once: the baseline's scan
 * leaves /workspace/.git out. `recorded`: recordSentEarly's, started while the engine unpacked the copy.
 */
export async function seedCopyGit(
  container: Container,
  repoPath: string | null,
  who: Owner & { user: string },
  differ: TreeDiffer,
  copied: CopiedFiles,
  clone: Promise<AgentGitDir> | null = repoPath ? prepareAgentGit(repoPath, differ) : null,
  recorded?: Promise<boolean>,
): Promise<void> {
  const dir = await clone;
  try {
    const baseline = new CopyBaseline(differ, async () => engineExec(container, who.user));
    await Promise.all([dir && !copied.agentGit && installAgentGit(container, who, dir.gitDir), baseline.record(repoPath, copied, dir?.head ?? null, recorded)]);
  } finally {
    await dir?.dispose();
  }
}

/**
 * CopyBaseline.recordSent once the clone (whose HEAD gives most of the tree) is built: the baseline of what the copy
 * sent is the host's work, done while the engine unpacks the files instead of after (the update-ref alone was 15-110
 * ms after the copy on a loaded machine).
 */
async function recordSentEarly(container: Container, user: string, differ: TreeDiffer, copied: CopiedFiles, clone: Promise<AgentGitDir> | null, repoPath: string): Promise<boolean> {
  const dir = await clone;
  return new CopyBaseline(differ, async () => engineExec(container, user)).recordSent(repoPath, copied, dir?.head ?? null);
}

/** What copy mode makes on the host before it needs the container: the listing, the agent's clone, diff.git. */
export interface CopyPreparation {
  differ: TreeDiffer;
  /** Null without a repository. */
  listing: Promise<RepoListing> | null;
  clone: Promise<AgentGitDir> | null;
  /** Waits for the work started and removes the clone's temporary dir (the seeding's failure, or none at all). */
  dispose(): Promise<void>;
}

/**
 * Starts the host side of the seeding: it needs no container, so the layer starts it before creating one (the
 * engine's create and start then overlap the listing, a walk of the whole work tree, and the clone's build).
 */
export function prepareCopy(repoPath: string | null, diffGit: string): CopyPreparation {
  const differ = new TreeDiffer(diffGit);
  // One listing for the clone and the copy.
  const listing = repoPath ? listRepository(repoPath) : null;
  const clone = repoPath && listing ? prepareAgentGit(repoPath, differ, listing) : null;
  const work = [differ.init(), listing, clone];
  // Failures are reported where each is awaited again (the copy, the baseline), not as unhandled rejections meanwhile.
  for (const w of work) w?.catch(() => undefined);
  return {
    differ,
    listing,
    clone,
    dispose: async () => {
      await Promise.allSettled(work);
      await clone?.then((d) => d.dispose(), () => undefined);
    },
  };
}

/**
 * Copy mode's whole seeding, once the container runs: the files into /workspace (the clone, built meanwhile, sent at
 * their end into an empty volume; the baseline of what was sent recorded once they are read), then seedCopyGit.
 */
export async function seedCopy(container: Container, repoPath: string | null, who: Owner & { user: string }, prepared: CopyPreparation, onProgress?: (m: string) => void): Promise<void> {
  const { differ, listing, clone } = prepared;
  let recorded: Promise<boolean> | undefined;
  const onRead = (path: string) => (copied: CopiedFiles) => {
    recorded = recordSentEarly(container, who.user, differ, copied, clone, path);
    // Awaited by seedCopyGit, or below when the copy fails first.
    recorded.catch(() => undefined);
  };
  try {
    const copied = repoPath && listing ? await seedWorkspace(container, repoPath, who, onProgress, clone, listing, onRead(repoPath)) : { sent: [], alone: false, agentGit: false };
    await seedCopyGit(container, repoPath, who, differ, copied, clone, recorded);
  } catch (err) {
    // Nothing may write to diff.git once the failed layer is being discarded.
    await recorded?.catch(() => undefined);
    await prepared.dispose();
    throw err;
  }
}
