import { rm, stat } from 'node:fs/promises';

// A git dir used by one process at a time can still find its index.lock held: a process SIGKILLed in the middle of a
// git command (a crash, a reload) does not take the command with it, and git goes on writing files and the index
// after its parent died. Removing that lock at once would let the next command run beside it and fail ("unable to
// write new index file") or mix their writes. So a lock is waited for while it is young enough to belong to a live
// command, and removed only when it is older than any command runs: then its command died with it.

/** A lock older than this is a dead command's: no git command on a sandbox runs anywhere near as long. */
export const STALE_LOCK_MS = 30_000;
const POLL_MS = 20;

/** Waits until `lockFile` is gone, removing it once it is stale. */
export async function clearIndexLock(lockFile: string, staleMs = STALE_LOCK_MS): Promise<void> {
  for (;;) {
    const since = await stat(lockFile).then(
      (s) => Date.now() - s.mtimeMs,
      () => null,
    );
    if (since === null) return;
    if (since >= staleMs) return rm(lockFile, { force: true });
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
