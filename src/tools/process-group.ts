// Process groups, for the commands and servers Hangar starts in a group of their own so that one signal reaches
// every process they spawned (background jobs, wrappers, a fork bomb).

const POLL_MS = 25;

/** Sends `signal` (0: only asks) to every process of the group; false when none is left. */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * True once no process of the group is left, zombies included (they still hold their slot in a pids limit until
 * reaped); false when `ms` ran out. Polls, as a group has no exit event.
 */
export async function groupGone(pgid: number, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; ) {
    if (!signalGroup(pgid, 0)) return true;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  return !signalGroup(pgid, 0);
}
