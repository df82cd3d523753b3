import { mkdir, readdir, realpath, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import * as z from 'zod';
import { createToolHost } from '../../tools/host-impl';
import { SKILLS_DIR } from '../../wire/skill';
import type { ToolHostOptions } from '../../tools/host';
import type { CheckpointRef, ProvisionSpec, Sandbox, SandboxMount, SandboxProvider } from '../types';
import { BaselineRepo } from './baseline';
import { buildAgentGit } from '../repo/agent-git';
import { listRepository } from '../repo/listing';
import { copySnapshot } from './copy';
import { LocalSandbox } from './sandbox';
import { writeFileAtomic } from '../../log/fsutil';
import { readJsonFile } from '../../log/json-file';
import { BASELINE_REF } from '../repo/diff';
import { git, isolatedGitEnv } from '../repo/git';
import { SandboxDamagedError } from '../errors';
import { clearIndexLock } from '../repo/index-lock';
import { hasTree } from '../repo/checkpoint-git';
import { linkWritable, localMountPath, placeMounts, unlockMounts } from './mounts';

// Local sandboxes: a copy of the repository in a per-session directory on the host, tools run in-process.
// <storageRoot>/sandboxes/<sessionId>/
//   workspace/      the copy the agent works on, with a .git of its own: a shallow clone of the user's (agent-git.ts)
//   baseline.git/   private git dir: the baseline commit and the index changes() uses
//   state/          the shell's saved cwd/env
//   sandbox.json    written last: a directory without it is a half-made sandbox and is made again
//   mnt/…           the session's file resources (read-only copies) and outputs (a symlink), see mounts.ts
// There is no isolation: commands run as the user, with the host's network. Environment settings (networking,
// packages, limits) are not enforced here; the docker provider enforces them.

export const SessionIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/, 'session ids are 1-128 letters, digits, "_" or "-"');

const Manifest = z.object({
  version: z.literal(1),
  session_id: z.string(),
  repo_path: z.string().nullable(),
  baseline_commit: z.string(),
  created_at: z.string(),
});

export interface LocalSandboxProviderOptions {
  storageRoot: string;
  /** Tool host settings (timeouts, output cap, extra env) for every sandbox. */
  tools?: Omit<ToolHostOptions, 'root' | 'stateDir'>;
  /** false: every checkpoint scans the workspace instead of building on a file watcher (tests and benches compare). */
  watchCheckpoints?: boolean;
}

export class LocalSandboxProvider implements SandboxProvider {
  readonly kind = 'local' as const;
  private readonly live = new Map<string, LocalSandbox>();
  private readonly pending = new Map<string, Promise<Sandbox>>();

  constructor(private readonly options: LocalSandboxProviderOptions) {}

  private get sandboxesDir(): string {
    return path.join(this.options.storageRoot, 'sandboxes');
  }

  private dirOf(sessionId: string): string {
    return path.join(this.sandboxesDir, SessionIdSchema.parse(sessionId));
  }

  async provision(spec: ProvisionSpec): Promise<Sandbox> {
    const dir = this.dirOf(spec.sessionId);
    const existing = this.live.get(spec.sessionId) ?? this.pending.get(spec.sessionId);
    if (existing) return existing;
    const made = this.provisionNow(spec, dir).finally(() => this.pending.delete(spec.sessionId));
    this.pending.set(spec.sessionId, made);
    return made;
  }

  private async provisionNow(spec: ProvisionSpec, dir: string): Promise<Sandbox> {
    const manifestPath = path.join(dir, 'sandbox.json');
    // Missing: creation never finished (the manifest is written last), so the copy is made again. Present but
    // unreadable (a file cut by a kill before writes were atomic): the agent's work is there, so it is rebuilt from
    // the private baseline rather than thrown away.
    const manifest = await readJsonFile(manifestPath, Manifest, (m) => new SandboxDamagedError(m)).catch((err: unknown) => {
      if (err instanceof SandboxDamagedError) return this.rebuildManifest(spec, dir, manifestPath, err);
      throw err;
    });
    if (!manifest) {
      // A killed process's git (the baseline's add, a fork's checkout) goes on writing here under the index lock.
      await clearIndexLock(path.join(dir, 'baseline.git', 'index.lock'));
      await unlockMounts(dir, ['workspace', 'baseline.git', 'state']);
      await rm(dir, { recursive: true, force: true });
      await this.create(spec, dir, manifestPath);
    } else {
      spec.onProgress?.('Reattached to the existing sandbox copy');
    }
    return this.attach(spec.sessionId, dir);
  }

  private async rebuildManifest(spec: ProvisionSpec, dir: string, manifestPath: string, damage: SandboxDamagedError): Promise<z.infer<typeof Manifest>> {
    const commit = await git(['rev-parse', '--verify', BASELINE_REF], { env: isolatedGitEnv({ GIT_DIR: path.join(dir, 'baseline.git') }) }).then(
      (out) => out.toString('utf8').trim(),
      () => null,
    );
    if (!commit) {
      throw new SandboxDamagedError(
        `The sandbox of session ${spec.sessionId} is damaged (${damage.message}) and its baseline is gone, so its changes cannot be told apart. Delete the session (\`hangar delete ${spec.sessionId}\`), or remove ${dir} to start over from a fresh copy of the repository (the changes in it are lost).`,
      );
    }
    spec.onProgress?.(`Rebuilt the damaged ${path.basename(manifestPath)} from the sandbox's baseline`);
    return this.writeManifest(manifestPath, { version: 1, session_id: spec.sessionId, repo_path: spec.repoPath ?? null, baseline_commit: commit, created_at: new Date().toISOString() });
  }

  private async writeManifest(file: string, manifest: z.infer<typeof Manifest>): Promise<z.infer<typeof Manifest>> {
    await writeFileAtomic(file, `${JSON.stringify(manifest, null, 2)}\n`);
    return manifest;
  }

  private async create(spec: ProvisionSpec, dir: string, manifestPath: string): Promise<void> {
    const workspace = path.join(dir, 'workspace');
    await mkdir(workspace, { recursive: true });
    await mkdir(path.join(dir, 'state'), { recursive: true, mode: 0o700 });
    const { commit, files } = spec.seed && (await hasTree(spec.seed.gitDir, spec.seed.tree)) ? await this.seeded(spec.seed, dir, workspace, spec.onProgress) : await this.copied(spec, dir, workspace);
    await buildAgentGit({ repoPath: spec.repoPath, gitDir: path.join(workspace, '.git'), workTree: workspace, files });
    await placeMounts(dir, spec.mounts ?? [], spec.outputsDir);
    await linkWritable(dir, spec.writable ?? []);
    await this.writeManifest(manifestPath, { version: 1, session_id: spec.sessionId, repo_path: spec.repoPath ?? null, baseline_commit: commit, created_at: new Date().toISOString() });
  }

  /** The workspace copied from the repository, then recorded as the baseline. */
  private async copied(spec: ProvisionSpec, dir: string, workspace: string): Promise<{ commit: string; files: string[] }> {
    let files: string[] = [];
    if (spec.repoPath) {
      spec.onProgress?.('Listing the repository files');
      const listing = await listRepository(spec.repoPath);
      files = await copySnapshot(spec.repoPath, workspace, listing.files, spec.onProgress);
    }
    spec.onProgress?.('Recording the baseline');
    const commit = await new BaselineRepo(path.join(dir, 'baseline.git'), workspace).create();
    return { commit, files };
  }

  /**
   * A fork's workspace: the baseline of the sandbox whose checkpoint store `seed` names, written by git from that store
   * (BaselineRepo.createFrom), instead of copying and hashing the repository again. The caller then restores the seed
   * (a store that lost it, its session deleted meanwhile, gets a copy of the repository, and the restore says so).
   */
  private async seeded(seed: CheckpointRef, dir: string, workspace: string, onProgress?: (m: string) => void): Promise<{ commit: string; files: string[] }> {
    onProgress?.('Writing the files from the checkpoint store');
    return new BaselineRepo(path.join(dir, 'baseline.git'), workspace).createFrom(seed.gitDir);
  }

  private async attach(sessionId: string, dir: string): Promise<Sandbox> {
    const workdir = await realpath(path.join(dir, 'workspace'));
    const host = createToolHost({ ...this.options.tools, root: workdir, stateDir: path.join(dir, 'state'), readOnlyRoots: [localMountPath(dir, SKILLS_DIR)] });
    const baseline = new BaselineRepo(path.join(dir, 'baseline.git'), workdir, { watch: this.options.watchCheckpoints });
    baseline.watch();
    const sandbox = new LocalSandbox(sessionId, workdir, host, baseline, () => {
      if (this.live.get(sessionId) === sandbox) this.live.delete(sessionId);
    });
    this.live.set(sessionId, sandbox);
    return sandbox;
  }

  async mount(sessionId: string, mount: SandboxMount): Promise<void> {
    await this.pending.get(sessionId)?.catch(() => undefined);
    const dir = this.dirOf(sessionId);
    if (!(await stat(path.join(dir, 'sandbox.json')).catch(() => null))) return;
    await placeMounts(dir, [mount], undefined);
  }

  mountedAt(sessionId: string, target: string): string {
    return localMountPath(this.dirOf(sessionId), target);
  }

  async destroy(sessionId: string): Promise<void> {
    const dir = this.dirOf(sessionId);
    await this.pending.get(sessionId)?.catch(() => undefined);
    await this.live.get(sessionId)?.release();
    await unlockMounts(dir, ['workspace', 'baseline.git', 'state']);
    await rm(dir, { recursive: true, force: true });
  }

  async reap(liveSessionIds: ReadonlySet<string>): Promise<string[]> {
    const names = await readdir(this.sandboxesDir).catch(() => [] as string[]);
    const removed: string[] = [];
    for (const name of names) {
      if (liveSessionIds.has(name) || this.pending.has(name) || !SessionIdSchema.safeParse(name).success) continue;
      await this.destroy(name);
      removed.push(name);
    }
    return removed;
  }

  async close(): Promise<void> {
    await Promise.all([...this.pending.values()].map((p) => p.catch(() => undefined)));
    await Promise.all([...this.live.values()].map((s) => s.release()));
  }
}
