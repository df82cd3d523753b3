import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { WorkspaceChanges } from '../types';
import { attributesText, BASELINE_REF, DIFF_CACHED, gitChanges } from '../repo/diff';
import { git, GitError, isolatedGitEnv } from '../repo/git';
import { clearIndexLock } from '../repo/index-lock';
import { linkObjects } from '../repo/seed-objects';
import { importCheckpoint, UnknownCheckpointError, hasTree, type CheckpointRef } from '../repo/checkpoint-git';
import { WatchedCheckpoints, type CheckpointCounts, type WatchOptions } from './watched-checkpoints';

// The sandbox's baseline lives in a git dir outside the workspace: nothing the agent does in the workspace (its own
// .git included) can move it, so the diff against it is what Hangar trusts for review.

// Appended to the config `git init` wrote (a later section wins), instead of one `git config` process per key.
const PRIVATE_CONFIG = `[core]
	bare = false
	autocrlf = false
	fileMode = true
	symlinks = true
	quotePath = false
	fsmonitor = false
	# Without these git still reads ~/.config/git/{ignore,attributes}, even with the global config disabled.
	excludesFile = /dev/null
	attributesFile = /dev/null
[gc]
	auto = 0
[maintenance]
	auto = false
`;

async function writeRawAttributes(gitDir: string, binaryPaths: readonly string[] = []): Promise<void> {
  await mkdir(path.join(gitDir, 'info'), { recursive: true });
  await writeFile(path.join(gitDir, 'info', 'attributes'), attributesText(binaryPaths));
  await writeFile(path.join(gitDir, 'info', 'exclude'), '');
}

export class BaselineRepo {
  private queue: Promise<unknown> = Promise.resolve();
  private readonly checkpoints: WatchedCheckpoints;

  constructor(
    readonly gitDir: string,
    readonly workTree: string,
    /** watch: false makes every checkpoint the full scan (tests and benches compare the two). */
    options: WatchOptions = {},
  ) {
    // The watcher's sync files live in the private git dir: Hangar's own, outside the work tree.
    this.checkpoints = new WatchedCheckpoints(workTree, gitDir, path.join(gitDir, 'hangar-watch'), (from) => this.scanCheckpoint(from), options);
  }

  /** How checkpoints were taken so far (built from watched paths or scanned), for tests and benches. */
  get checkpointCounts(): Readonly<CheckpointCounts> {
    return this.checkpoints.counts;
  }

  private run(args: readonly string[]): Promise<Buffer> {
    return git(args, { cwd: this.workTree, env: isolatedGitEnv({ GIT_DIR: this.gitDir, GIT_WORK_TREE: this.workTree }) });
  }

  /**
   * Records the whole work tree as the baseline commit, files its .gitignore names included: at this point it holds
   * exactly the copied files, and `add -A -f` is linear where thousands of literal pathspecs are not.
   * bigFileThreshold=1 (for this add only) streams every blob into one pack instead of one loose object file each:
   * several times faster for a repository of thousands of small files.
   */
  async create(): Promise<string> {
    await this.init();
    await this.run(['-c', 'core.bigFileThreshold=1', 'add', '-A', '-f']);
    await this.run(['commit', '-q', '--no-verify', '--allow-empty', '-m', 'Hangar baseline']);
    await this.run(['update-ref', BASELINE_REF, 'HEAD']);
    return (await this.run(['rev-parse', BASELINE_REF])).toString('utf8').trim();
  }

  private async init(): Promise<void> {
    await git(['init', '-q'], { env: isolatedGitEnv({ GIT_DIR: this.gitDir }) });
    await appendFile(path.join(this.gitDir, 'config'), PRIVATE_CONFIG);
    await writeRawAttributes(this.gitDir);
  }

  /**
   * Makes this baseline the one of another sandbox's git dir `source` (a fork's, from its source's checkpoint store),
   * with nothing copied from the repository and nothing hashed: the source's objects linked in (seed-objects.ts), its
   * baseline commit taken as this one's, and the empty work tree written from it by git (the index keeps the files'
   * stat data, as after create()). Returns the commit and the files written.
   */
  async createFrom(source: string): Promise<{ commit: string; files: string[] }> {
    const commit = (await git(['rev-parse', '--verify', `${BASELINE_REF}^{commit}`], { env: isolatedGitEnv({ GIT_DIR: source }) })).toString('utf8').trim();
    await this.init();
    await linkObjects(path.join(source, 'objects'), path.join(this.gitDir, 'objects'));
    await this.run(['update-ref', 'HEAD', commit]);
    await this.run(['update-ref', BASELINE_REF, commit]);
    await this.run(['-c', 'checkout.workers=0', 'read-tree', '--reset', '-u', commit]);
    const files = (await this.run(['ls-files', '-z'])).toString('utf8').split('\0').filter(Boolean);
    return { commit, files };
  }

  private serialized<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** The work tree against the baseline: every file git can see, minus what the work tree's .gitignore files hide. */
  changes(): Promise<WorkspaceChanges> {
    return this.serialized(() => this.changesNow());
  }

  /** Brings the index up to the work tree (the stat cache makes this cost a stat per file, hashing only what moved). */
  private async refreshIndex(): Promise<void> {
    // Calls are serialized, so a lock file here is another process's: a killed one's, whose git may still be running.
    await clearIndexLock(path.join(this.gitDir, 'index.lock'));
    await this.run(['add', '-A']);
  }

  /** The work tree as a tree in this git dir: built from the paths that changed since the last one (watched-checkpoints.ts). */
  checkpoint(): Promise<CheckpointRef> {
    return this.serialized(async () => ({ gitDir: this.gitDir, tree: await this.checkpoints.checkpoint() }));
  }

  /**
   * The full scan: the index changes() keeps, brought up to the files and written out (cache-tree: unchanged dirs
   * reused). Checkpoints built since the last scan did not touch the index, so it is first set to the last checkpoint
   * `from` (stat data kept where entries match): its files are the tracked ones, as for a built checkpoint. `--reset`,
   * not `-m`: a file a built checkpoint recorded changed since the index last saw it, and `-m` refuses such an entry
   * ('not uptodate'); its stat data is dropped instead, so the add hashes it again.
   */
  private async scanCheckpoint(from: string | null): Promise<string> {
    if (from) {
      await clearIndexLock(path.join(this.gitDir, 'index.lock'));
      await this.run(['read-tree', '--reset', from]);
    }
    await this.refreshIndex();
    return (await this.run(['write-tree'])).toString('utf8').trim();
  }

  /**
   * The work tree made that of the checkpoint: the index is first brought up to the files, so `read-tree --reset -u`
   * deletes what the checkpoint lacks, rewrites what differs and leaves ignored files alone. A kill midway leaves
   * a mix, which running it again completes.
   */
  restore(checkpoint: CheckpointRef): Promise<void> {
    return this.serialized(async () => {
      await importCheckpoint(checkpoint, this.gitDir);
      if (!(await hasTree(this.gitDir, checkpoint.tree))) throw new UnknownCheckpointError(`This sandbox has no checkpoint ${checkpoint.tree}.`);
      // After read-tree the files are the checkpoint's (ignored files aside, which no checkpoint holds), and the paths
      // it wrote show as changed; a failure midway leaves a mix, which the next checkpoint scans.
      try {
        await this.refreshIndex();
        await this.run(['read-tree', '--reset', '-u', checkpoint.tree]);
      } catch (err) {
        this.checkpoints.restored(null);
        throw err;
      }
      this.checkpoints.restored(checkpoint.tree);
    });
  }

  /** Starts the file watcher checkpoints build on (a sandbox in use calls it; the first checkpoint scans regardless). */
  watch(): void {
    this.checkpoints.prepare();
  }

  /** Stops the file watcher (resolves once it no longer writes into the git dir). */
  close(): Promise<void> {
    return this.checkpoints.close();
  }

  private async changesNow(): Promise<WorkspaceChanges> {
    await this.refreshIndex();
    return gitChanges(
      { run: (args) => this.run(args), writeAttributes: (paths) => writeRawAttributes(this.gitDir, paths) },
      (extra) => [...DIFF_CACHED, ...extra, BASELINE_REF],
    );
  }

  /** A file's bytes at the baseline (a symlink's target text, as git stores it); null when it did not exist. */
  async readBaseline(rel: string): Promise<Buffer | null> {
    try {
      const type = (await this.run(['cat-file', '-t', `${BASELINE_REF}:${rel}`])).toString('utf8').trim();
      if (type !== 'blob') return null;
      return await this.run(['cat-file', 'blob', `${BASELINE_REF}:${rel}`]);
    } catch (err) {
      if (err instanceof GitError) return null;
      throw err;
    }
  }
}
