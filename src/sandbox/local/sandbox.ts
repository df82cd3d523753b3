import { lstat, readFile, readlink } from 'node:fs/promises';
import path from 'node:path';
import type { ToolHost } from '../../tools/host';
import { canonicalize, errnoCode, isWithin } from '../../tools/paths';
import type { CheckpointRef, ExecuteOptions, FileSide, Sandbox, WorkspaceChanges } from '../types';
import type { ToolOutcome } from '../../wire/tool-outcome';
import { checkRepoPath } from '../repo/paths';
import type { BaselineRepo } from './baseline';
import type { CheckpointCounts } from './watched-checkpoints';

export class LocalSandbox implements Sandbox {
  private released = false;

  constructor(
    readonly sessionId: string,
    readonly workdir: string,
    private readonly host: ToolHost,
    private readonly baseline: BaselineRepo,
    private readonly onRelease: () => void,
  ) {}

  execute(name: string, input: unknown, options?: ExecuteOptions): Promise<ToolOutcome> {
    return this.host.run(name, input, options?.signal, options?.onOutput, options?.shell);
  }

  closeShell(shell: string): Promise<void> {
    return this.host.closeShell(shell);
  }

  changes(): Promise<WorkspaceChanges> {
    return this.baseline.changes();
  }

  checkpoint(): Promise<CheckpointRef> {
    return this.baseline.checkpoint();
  }

  /** How this sandbox's checkpoints were taken (built from watched paths, or scanned). */
  get checkpointCounts(): Readonly<CheckpointCounts> {
    return this.baseline.checkpointCounts;
  }

  restore(checkpoint: CheckpointRef): Promise<void> {
    return this.baseline.restore(checkpoint);
  }

  async readFile(rel: string, side: FileSide): Promise<Buffer | null> {
    checkRepoPath(rel);
    if (side === 'baseline') return this.baseline.readBaseline(rel);
    // Like git: the parent directories must resolve inside the workspace; a symlink itself yields its target text.
    // workdir is a real path (the provider resolved it), so the walk starts there: one lstat per component of `rel`
    // instead of one per component from / (the review reads every changed file each time a session's changes move).
    const parent = await canonicalize(path.join(this.workdir, path.dirname(rel)), { lexical: this.workdir, real: this.workdir });
    if (!isWithin(this.workdir, parent)) return null;
    const file = path.join(parent, path.basename(rel));
    try {
      const info = await lstat(file);
      if (info.isSymbolicLink()) return Buffer.from(await readlink(file), 'utf8');
      if (!info.isFile()) return null;
      return await readFile(file);
    } catch (err) {
      if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') return null;
      throw err;
    }
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    this.onRelease();
    await Promise.all([this.baseline.close(), this.host.dispose()]);
  }
}
