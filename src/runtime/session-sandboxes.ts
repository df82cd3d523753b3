import path from 'node:path';
import type { Sandbox, SandboxMount } from '../sandbox/types';
import { SandboxSetupError } from '../sandbox/errors';
import { sessionRepository } from '../wire/session-repository';
import { readRecord, type SessionRecord } from './session-record';
import { memoryResources, syncingSandbox } from './session-memory';
import { invalid, RuntimeError } from './errors';
import { UnknownCheckpointError } from '../sandbox/repo/checkpoint-git';
import { forkSeeded, pendingForkSeed } from './session-fork';
import type { HostOptions } from './session-host';
import { readLease } from '../log';

type SandboxOptions = Pick<HostOptions, 'sessionsDir' | 'provider' | 'sandboxEnv' | 'files' | 'memory' | 'skills' | 'repositories' | 'onProgress' | 'leftovers'>;

/**
 * The sandboxes of the sessions a SessionHost works with: provisioned once per session, released with it. A fork's
 * sandbox is handed out only once it holds the checkpoint the fork starts from (session-fork.ts#pendingForkSeed).
 */
export class SessionSandboxes {
  private readonly sandboxes = new Map<string, Promise<Sandbox>>();
  /** Releases under way: each may still wait for the provision it ends. */
  private readonly releasing = new Map<string, Promise<void>>();

  constructor(private readonly opts: SandboxOptions) {}

  /** Session ids with a sandbox provisioned (or being provisioned) here. */
  ids(): IterableIterator<string> {
    return this.sandboxes.keys();
  }

  for(record: SessionRecord): Promise<Sandbox> {
    const kind = record.environment.hangar.provider;
    if (kind && kind !== this.opts.provider.kind) {
      // Another provider would make an empty sandbox and report "no changes": say how to reach the real one.
      return Promise.reject(
        invalid(`Session ${record.id} works in a ${kind} sandbox, but this Hangar uses the ${this.opts.provider.kind} provider. Use --provider ${kind} (CLI) or set hangar.sandbox.provider to "${kind}" (VS Code).`),
      );
    }
    let p = this.sandboxes.get(record.id);
    if (!p) {
      const env = this.opts.sandboxEnv?.(record) ?? Promise.resolve(undefined);
      const files = this.opts.files?.provisionSpec(record) ?? Promise.resolve({ mounts: [] });
      const memory = this.opts.memory;
      const stores = memory?.spec(record) ?? { mounts: [], writable: [] };
      const dir = path.join(this.opts.sessionsDir, record.id);
      // A provider hands a session's provision under way to every caller: asked while a release still waits for
      // that provision, it would hand out the very sandbox the release is about to stop.
      const released = this.releasing.get(record.id);
      p = Promise.all([env, files, pendingForkSeed(dir), released]).then(async ([extra, mounts, seed]) => {
        const sandbox = await this.opts.provider.provision({
          ...mounts,
          mounts: [...mounts.mounts, ...[this.opts.skills?.(record)].flatMap((m) => (m ? [m] : [])), ...stores.mounts],
          repositories: this.opts.repositories?.(record),
          writable: stores.writable,
          sessionId: record.id,
          env: extra,
          repoPath: sessionRepository(record.resources)?.path,
          environment: record.environment,
          onProgress: (m) => this.opts.onProgress?.(record.id, m),
          seed: seed ?? undefined,
        });
        if (seed) {
          await sandbox.restore(seed).catch((err: unknown) => {
            if (!(err instanceof UnknownCheckpointError)) throw err;
            throw new RuntimeError(409, 'invalid_request_error', `Session ${record.id} is a fork whose files (checkpoint tree ${seed.tree}) are no longer stored: the session it was forked from was deleted before the fork had them. Delete this fork and fork again from a session that exists.`, 'checkpoint_unavailable');
          });
          await forkSeeded(dir);
        }
        return memory && memoryResources(record).length > 0 ? syncingSandbox(sandbox, () => memory.afterTool(record)) : sandbox;
      });
      // A failed provision is retried by the next call instead of being cached, unless the setup itself failed (a
      // missing package, a failing devcontainer command): that would fail again and repeat its side effects.
      p.catch((err: unknown) => {
        if (!(err instanceof SandboxSetupError)) this.sandboxes.delete(record.id);
      });
      this.sandboxes.set(record.id, p);
    }
    return p;
  }

  /**
   * Shows a file added to the session in its sandbox (file-attach.ts). A provisioning under way here is awaited first:
   * it may have read the session's resources before the file was added.
   */
  async mount(id: string, mount: SandboxMount): Promise<void> {
    await this.sandboxes.get(id)?.catch(() => undefined);
    await this.opts.provider.mount(id, mount);
  }

  /**
   * Releases the session's sandbox (its files stay); a sandbox that failed to provision has nothing to release. A
   * release that fails does not fail its caller (a delete, an agent update, a close): what it left is recorded for the
   * next sweep and said once (sandbox-leftovers.ts).
   */
  async release(id: string): Promise<void> {
    const done = this.releaseNow(id).catch((err: unknown) => this.opts.leftovers.left(id, 'release', err));
    this.releasing.set(id, done);
    try {
      await done;
    } finally {
      if (this.releasing.get(id) === done) this.releasing.delete(id);
    }
  }

  private async releaseNow(id: string): Promise<void> {
    const sb = this.sandboxes.get(id);
    this.sandboxes.delete(id);
    const sandbox = await sb?.catch(() => null);
    if (!sandbox) return;
    await sandbox.release();
    await this.opts.leftovers.clear(id);
  }

  /**
   * Retries what failed releases and removals left (SandboxLeftovers.sweep): a session that is gone has its sandbox
   * removed; a living one not in use here (`inUse`) or by another live process has its sandbox reattached and released.
   */
  sweepLeftovers(exists: (id: string) => Promise<boolean>, inUse: (id: string) => boolean): Promise<string[]> {
    return this.opts.leftovers.sweep({
      exists,
      destroy: (id) => this.opts.provider.destroy(id),
      release: async (id) => {
        const dir = path.join(this.opts.sessionsDir, id);
        const lease = await readLease(dir).catch(() => null);
        if (inUse(id) || this.sandboxes.has(id) || (lease && lease.pid !== process.pid && Date.parse(lease.expires_at) > Date.now())) return false;
        // A damaged record names no sandbox to reattach to: the leftover waits until the session is repaired or deleted.
        const record = await readRecord(dir).catch(() => null);
        if (!record) return false;
        await this.for(record);
        if (inUse(id)) return false;
        await this.releaseNow(id);
        return true;
      },
    });
  }
}
