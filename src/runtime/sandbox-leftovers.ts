import fsp from 'node:fs/promises';
import path from 'node:path';
import * as z from 'zod';
import { writeFileAtomic } from '../log/fsutil';
import { containerName, SessionId } from '../sandbox/docker/names';
import { readState } from '../sandbox/docker/state';
import type { SandboxProvider } from '../sandbox/types';

// What a sandbox that could not be stopped or removed left behind (a container on an engine that stopped answering,
// a directory that would not go). The session's delete or update still completes: the user's data is not held
// hostage by a dead engine. Instead the leftover is recorded here, one file per session, said once (a notice and
// the process's log, with the engine and container named and the command that removes it by hand), and retried by
// every runtime start (Runtime.swept) and reap until it is gone.

export const SandboxLeftover = z.object({
  session_id: SessionId,
  provider: z.enum(['local', 'docker']),
  /**
   * `release`: the session lives on and its sandbox was not stopped (its container still runs); `delete`: the session
   * is gone and its sandbox was not removed.
   */
  after: z.enum(['release', 'delete']),
  /** What is left, for people: the container and its engine, or the directory. */
  left: z.string(),
  /** The command that removes it by hand. */
  remove: z.string(),
  /** Why the last attempt failed. */
  error: z.string(),
  /** When it was first left, and how many attempts failed since. */
  since: z.string(),
  attempts: z.number().int().positive(),
});
export type SandboxLeftover = z.infer<typeof SandboxLeftover>;

/** How a sweep retries a leftover; each answers false when the leftover must wait (its session is in use). */
export interface LeftoverRetry {
  /** Removes everything of a session that no longer exists (SandboxProvider.destroy). */
  destroy(id: string): Promise<void>;
  /** Whether the session still exists (a damaged one does: its sandbox is kept). */
  exists(id: string): Promise<boolean>;
  /** Reattaches to a living session's sandbox and stops it; false when the session is in use here or elsewhere. */
  release(id: string): Promise<boolean>;
}

export class SandboxLeftovers {
  constructor(
    private readonly dir: string,
    private readonly provider: SandboxProvider,
    private readonly storageRoot: string,
    /** Tells the user once (RuntimeOptions.onProgress as a notice). */
    private readonly notify: (sessionId: string, message: string, after: SandboxLeftover['after']) => void,
  ) {}

  /**
   * The session's sandbox could not be released or removed: records what is left for the next sweep, logs it and
   * tells the user. Never throws: the delete or update that hit it goes on; a record that cannot be written is said too.
   */
  async left(id: string, after: SandboxLeftover['after'], err: unknown): Promise<void> {
    const message = await this.note(id, after, err).catch((noteErr: unknown) => {
      const said = `Session ${id}'s sandbox was not ${after === 'release' ? 'stopped' : 'removed'} (${errorText(err)}), and recording it for a later retry failed too (${errorText(noteErr)}).`;
      console.warn(`hangar: ${said}`);
      return said;
    });
    this.notify(id, message, after);
  }

  /** Records that the session's sandbox could not be released or removed and logs the sentence that says so. */
  private async note(id: string, after: SandboxLeftover['after'], err: unknown): Promise<string> {
    const before = await this.read(id);
    const where = await this.where(id, after);
    const leftover: SandboxLeftover = {
      session_id: id,
      provider: this.provider.kind,
      after,
      ...where,
      error: errorText(err),
      since: before?.since ?? new Date().toISOString(),
      attempts: (before?.attempts ?? 0) + 1,
    };
    // Not recursive: a storage removed under the runtime is not made again for this record (left() says it failed).
    await fsp.mkdir(this.dir).catch((err: NodeJS.ErrnoException) => (err.code === 'EEXIST' ? undefined : Promise.reject(err)));
    await writeFileAtomic(this.file(id), `${JSON.stringify(leftover, null, 2)}\n`);
    const message = leftoverMessage(leftover);
    // The process's log (the CLI's stderr, the extension host's log): the one place a script or a support request sees it.
    console.warn(`hangar: ${message}`);
    return message;
  }

  /** The session's sandbox is released or removed after all: nothing of it is left. */
  async clear(id: string): Promise<void> {
    await fsp.rm(this.file(id), { force: true });
  }

  /** What is left now, oldest first; a damaged record is skipped (the next note of its session replaces it). */
  async list(): Promise<SandboxLeftover[]> {
    const names = await fsp.readdir(this.dir).catch(() => [] as string[]);
    const all = await Promise.all(names.filter((n) => n.endsWith('.json')).map((n) => this.read(n.slice(0, -'.json'.length))));
    return all.filter((l): l is SandboxLeftover => l !== null).sort((a, b) => a.since.localeCompare(b.since));
  }

  /**
   * Tries every leftover again: a session that no longer exists has its sandbox removed, a living one's is reattached
   * and stopped. A failure is recorded again (it stays for the next sweep); returns the sessions cleaned up.
   */
  async sweep(retry: LeftoverRetry): Promise<string[]> {
    const cleaned: string[] = [];
    for (const leftover of await this.list()) {
      const id = leftover.session_id;
      try {
        if (await retry.exists(id)) {
          if (!(await retry.release(id))) continue;
          await this.clear(id);
        } else {
          await retry.destroy(id);
          await this.clear(id);
        }
        cleaned.push(id);
      } catch (err) {
        // Logged, not told again: the user heard of it when it was left.
        await this.note(id, leftover.after, err).catch(() => undefined);
      }
    }
    return cleaned;
  }

  private async read(id: string): Promise<SandboxLeftover | null> {
    const text = await fsp.readFile(this.file(id), 'utf8').catch(() => null);
    if (text === null) return null;
    try {
      return SandboxLeftover.parse(JSON.parse(text));
    } catch {
      return null;
    }
  }

  private file(id: string): string {
    return path.join(this.dir, `${SessionId.parse(id)}.json`);
  }

  /** Names what is left and how to remove it: for Docker the container (and volume) on the engine its state names. */
  private async where(id: string, after: SandboxLeftover['after']): Promise<Pick<SandboxLeftover, 'left' | 'remove'>> {
    const root = dockerRoot(this.provider);
    if (root !== null) {
      const state = await readState(root, id).catch(() => null);
      // By name, as `docker ps` shows it: a session's container is named after it (a claimed warm one is renamed).
      const container = containerName(root, id);
      const engine = state?.engine ? `the Docker engine at ${state.engine}` : 'the Docker engine Hangar uses';
      const host = state?.engine ? engineArgs(state.engine) : '';
      if (after === 'release') return { left: `container ${container}, still running, on ${engine}`, remove: `docker${host} rm -f ${container}` };
      const volume = state ? ` and volume ${state.volume}` : '';
      return { left: `container ${container}${volume} on ${engine}`, remove: `docker${host} rm -f ${container}${state ? ` && docker${host} volume rm ${state.volume}` : ''}` };
    }
    const dir = path.join(this.storageRoot, 'sandboxes', id);
    if (after === 'release') return { left: `the shells of the local sandbox in ${dir}`, remove: 'close this Hangar process (its shells are its child processes)' };
    return { left: `the local sandbox directory ${dir}`, remove: `rm -rf ${JSON.stringify(dir)}` };
  }
}

/** The sentence a user reads: what was left, why, that Hangar retries, and how to remove it now. */
export function leftoverMessage(l: SandboxLeftover): string {
  const what = l.after === 'release' ? `was not stopped` : `was not removed with the session`;
  return `Session ${l.session_id}'s ${l.provider} sandbox ${what} (${l.error}). Left behind: ${l.left}. Hangar retries at its next start; to remove it now: ${l.remove}`;
}

/** The Docker provider's storage root (names.ts, state.ts), read without loading the provider (and dockerode). */
function dockerRoot(provider: SandboxProvider): string | null {
  if (provider.kind !== 'docker') return null;
  const root: unknown = (provider as { root?: unknown }).root;
  return typeof root === 'string' ? root : null;
}

/** Docker CLI arguments that reach the engine a state names (engine.ts's label: an address, or one from a context). */
function engineArgs(label: string): string {
  const context = /^\S+ \(Docker context (.+)\)$/.exec(label);
  if (context) return ` --context ${context[1]}`;
  return label === 'unix:///var/run/docker.sock' ? '' : ` -H ${label}`;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
