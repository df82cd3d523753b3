import fs from 'node:fs/promises';
import path from 'node:path';
import type { WorkspaceChanges } from '../types';
import { attributesText, gitChanges } from '../repo/diff';
import { git, isolatedGitEnv } from '../repo/git';
import { EMPTY_TREE, GitObjects, objectId, type PathEdit } from '../repo/tree-objects';

// The patch of an overlay session, made by git from two small trees: the baseline and the current versions of just
// the changed paths. Paths outside the changed set are equal on both sides, so git's output (rename pairing
// included, which only ever pairs deletions with additions) is byte for byte what a full-tree diff would print,
// and the format is the local provider's: same flags, same prefixes, same attribute overrides.

export interface TreeEntry {
  path: string;
  /** git mode: 100644, 100755 or 120000. */
  mode: string;
  sha: string;
}

const DIFF_FLAGS = ['diff-tree', '-r', '-M', '--no-color', '--no-ext-diff', '--no-textconv', '--src-prefix=a/', '--dst-prefix=b/'];

export function gitMode(kind: 'f' | 'l', mode: number): string {
  if (kind === 'l') return '120000';
  return mode & 0o100 ? '100755' : '100644';
}

/** git's id of a blob with these bytes. */
export function blobId(content: Buffer): string {
  return objectId('blob', content);
}

/** The files of tree-ish `treeish` in the git dir `gitDir` (blobs, links and gitlinks, recursively), by path. */
export async function treeEntries(gitDir: string, treeish: string): Promise<Map<string, TreeEntry>> {
  const out = await git(['ls-tree', '-r', '-z', '--full-tree', treeish], { env: isolatedGitEnv({ GIT_DIR: gitDir }) });
  const entries = new Map<string, TreeEntry>();
  for (const rec of out.toString('utf8').split('\0')) {
    const m = /^(\d{6}) \w+ ([0-9a-f]+)\t(.+)$/s.exec(rec);
    if (m) entries.set(m[3] as string, { path: m[3] as string, mode: m[1] as string, sha: m[2] as string });
  }
  return entries;
}

export class TreeDiffer {
  private ready: Promise<void> | undefined;
  readonly objects: GitObjects;

  constructor(readonly gitDir: string) {
    this.objects = new GitObjects(gitDir);
  }

  private run(args: readonly string[], input?: Buffer, extraEnv: Record<string, string> = {}): Promise<Buffer> {
    return git(args, { env: isolatedGitEnv({ GIT_DIR: this.gitDir, ...extraEnv }), input });
  }

  /** Makes the git dir (bare, raw attributes) once; every other method calls it first. */
  init(): Promise<void> {
    this.ready ??= (async () => {
      await fs.mkdir(this.gitDir, { recursive: true });
      await this.run(['init', '-q', '--bare']);
      await this.run(['config', 'core.quotePath', 'false']);
      await this.writeAttributes([]);
    })();
    return this.ready;
  }

  private async writeAttributes(binaryPaths: readonly string[]): Promise<void> {
    await fs.mkdir(path.join(this.gitDir, 'info'), { recursive: true });
    await fs.writeFile(path.join(this.gitDir, 'info', 'attributes'), attributesText(binaryPaths));
  }

  /** Stores a blob as a loose object (in-process: no git spawn per file) and returns its id. */
  async writeBlob(content: Buffer): Promise<string> {
    await this.init();
    return this.objects.write('blob', content);
  }

  /** The ids among `shas` of objects this git dir does not have (one `cat-file --batch-check` for all). */
  async missing(shas: readonly string[]): Promise<string[]> {
    if (shas.length === 0) return [];
    await this.init();
    const out = await this.run(['cat-file', '--batch-check=%(objectname)'], Buffer.from(shas.map((s) => `${s}\n`).join('')));
    return out
      .toString('utf8')
      .split('\n')
      .flatMap((line) => (line.endsWith(' missing') ? [line.slice(0, -' missing'.length)] : []));
  }

  /**
   * A tree of exactly `entries` (any number of paths, whatever their order), written in-process (repo/tree-objects.ts):
   * git's own tree id, without the update-index and write-tree processes (a one-shot run's diff wrote two trees on its
   * way out).
   */
  async writeTree(entries: readonly TreeEntry[]): Promise<string> {
    await this.init();
    return this.objects.edit(EMPTY_TREE, new Map(entries.map((e) => [e.path, { mode: e.mode, sha: e.sha }])));
  }

  /** Reads the objects of `objects` too (a snapshot's tree: snapshot-tree.ts). */
  async borrow(objects: string): Promise<void> {
    await this.init();
    await this.objects.borrow(objects);
  }

  /** Tree `base` with `edits` applied, in-process (repo/tree-objects.ts): only the trees on the edited paths are written. */
  async editTree(base: string, edits: ReadonlyMap<string, PathEdit>): Promise<string> {
    await this.init();
    return this.objects.edit(base, edits);
  }

  diff(baseTree: string, currentTree: string): Promise<WorkspaceChanges> {
    return gitChanges(
      {
        run: async (args) => {
          await this.init();
          return this.run(args);
        },
        writeAttributes: (paths) => this.writeAttributes(paths),
      },
      (extra) => [...DIFF_FLAGS, ...extra, baseTree, currentTree],
    );
  }
}
