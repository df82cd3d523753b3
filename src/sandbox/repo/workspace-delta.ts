import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { envWithoutGit, git, GitError, isolatedGitEnv } from './git';

// An uploaded workspace that carries its history need not carry HEAD's files twice (issue #15 §2): the bundle holds
// HEAD's tree, so the archive holds only the files that differ from it (by their bytes and mode, hashed here, never
// trusting the index's stat cache) plus the list of HEAD's paths the workspace no longer has. The runtime checks HEAD's
// other files out of the bundle without any conversion, so its copy is byte for byte the user's files.
//
// When git would convert a file between its blob and the work tree (a filter such as LFS, text/eol/ident/
// working-tree-encoding attributes, core.autocrlf), the upload sends every file as before: asked of git, not guessed.

export interface HeadDelta {
  /** Workspace files whose bytes and mode are HEAD's: the runtime checks them out of the history. */
  unchanged: Set<string>;
  /** HEAD's paths the workspace does not hold (deleted, or no longer a file or link: a submodule). */
  deleted: string[];
}

export interface WorkspaceFile {
  name: string;
  /** 0o755 or 0o644 for a regular file. */
  mode: number;
  /** A symbolic link's target: links are always sent, they cost a header. */
  link?: string;
}

/** The attributes under which git's blob and the work tree file may differ. */
const CONVERTING_ATTRIBUTES = ['filter', 'text', 'eol', 'working-tree-encoding', 'ident'];
// The repository's own config must not run anything: core.fsmonitor names a program git would start.
const SAFE_GIT = ['-c', 'core.fsmonitor=false'];

/**
 * What of `files` (the workspace at the top of its repository `dir`) the commit `head` already holds (the bundled
 * HEAD: the user may commit meanwhile), or null when git may convert files between HEAD and the work tree, so only
 * sending every file reproduces them.
 */
export async function deltaFromHead(dir: string, head: string, files: readonly WorkspaceFile[]): Promise<HeadDelta | null> {
  const run = (args: readonly string[], input?: Buffer) => git([...SAFE_GIT, ...args], { cwd: dir, env: envWithoutGit(), input });
  if (await convertsLineEndings(run)) return null;
  const names = nulList(files.map((f) => f.name));
  const attrs = (await run(['check-attr', '-z', '--stdin', ...CONVERTING_ATTRIBUTES], names)).toString('utf8').split('\0');
  for (let i = 0; i + 2 < attrs.length; i += 3) if (attrs[i + 2] !== 'unspecified' && attrs[i + 2] !== 'unset') return null;

  const tree = await treeOf(run, head);
  // Regular files at a HEAD path with HEAD's mode are hashed as they are on disk (no filters); --stdin-paths is line-based.
  const candidates = files.filter((f) => f.link === undefined && !f.name.includes('\n') && tree.get(f.name)?.mode === (f.mode & 0o111 ? '100755' : '100644'));
  const unchanged = new Set<string>();
  if (candidates.length > 0) {
    const ids = (await run(['hash-object', '--no-filters', '--stdin-paths'], Buffer.from(candidates.map((f) => `${f.name}\n`).join(''), 'utf8'))).toString('utf8').split('\n');
    candidates.forEach((f, i) => {
      if (ids[i] === tree.get(f.name)?.id) unchanged.add(f.name);
    });
  }
  const present = new Set(files.map((f) => f.name));
  return { unchanged, deleted: [...tree.keys()].filter((p) => !present.has(p)) };
}

async function convertsLineEndings(run: (args: readonly string[]) => Promise<Buffer>): Promise<boolean> {
  // Exit 1: not set, git's default (false).
  const value = await run(['config', '--get', 'core.autocrlf']).then(
    (out) => out.toString('utf8').trim().toLowerCase(),
    (err: unknown) => (err instanceof GitError && err.code === 1 ? 'false' : Promise.reject(err)),
  );
  return !['false', 'no', 'off', '0', ''].includes(value);
}

/** The commit's paths with their mode and object id (blobs, links and submodule commits alike). */
async function treeOf(run: (args: readonly string[]) => Promise<Buffer>, commit: string): Promise<Map<string, { mode: string; id: string }>> {
  const out = (await run(['ls-tree', '-r', '-z', '--full-tree', commit])).toString('utf8');
  const tree = new Map<string, { mode: string; id: string }>();
  for (const line of out.split('\0')) {
    const tab = line.indexOf('\t');
    if (tab < 0) continue;
    const [mode = '', , id = ''] = line.slice(0, tab).split(' ');
    tree.set(line.slice(tab + 1), { mode, id });
  }
  return tree;
}

export class DeltaError extends Error {}

/**
 * The runtime's half: `dir` is a repository at the uploaded HEAD whose work tree holds the `uploaded` files; checks out
 * HEAD's other files except `deleted`, so the work tree is the user's, and leaves the index exactly those files.
 */
export async function checkoutRest(dir: string, uploaded: readonly string[], deleted: readonly string[]): Promise<void> {
  const env = isolatedGitEnv({});
  const run = (args: readonly string[], input?: Buffer) => git(args, { cwd: dir, env, input });
  const head = await treeOf(run, 'HEAD');
  const sent = new Set(uploaded);
  const gone = new Set(deleted);
  const rest = [...head].filter(([p, e]) => !sent.has(p) && !gone.has(p) && e.mode !== '160000').map(([p]) => p);
  const kept = new Set(rest);
  const clash = firstClash([...rest, ...uploaded]);
  if (clash !== undefined) throw new DeltaError(`its file ${JSON.stringify(clash)} is also a directory of HEAD's files it keeps`);
  // The copy must hold the blobs' own bytes: no attribute of the tree or the upload converts them (info/attributes wins).
  const neutral = path.join(dir, '.git', 'info', 'attributes');
  await mkdir(path.dirname(neutral), { recursive: true });
  await writeFile(neutral, `* ${CONVERTING_ATTRIBUTES.map((a) => `!${a}`).join(' ')}\n`);
  try {
    await run(['read-tree', 'HEAD']);
    const left = [...head.keys()].filter((p) => !kept.has(p));
    if (left.length > 0) await run(['update-index', '--force-remove', '-z', '--stdin'], nulList(left));
    if (rest.length > 0) await run(['checkout-index', '-u', '-z', '--stdin'], nulList(rest));
    if (uploaded.length > 0) await run(['add', '-f', '--pathspec-from-file=-', '--pathspec-file-nul'], nulList(uploaded));
  } finally {
    await rm(neutral, { force: true });
  }
}

/** A path that another path of the list lies under (a tree cannot hold both). */
function firstClash(paths: readonly string[]): string | undefined {
  const dirs = new Set<string>();
  for (const p of paths) for (let i = p.indexOf('/'); i >= 0; i = p.indexOf('/', i + 1)) dirs.add(p.slice(0, i));
  return paths.find((p) => dirs.has(p));
}

function nulList(paths: readonly string[]): Buffer {
  return Buffer.from(paths.map((p) => `${p}\0`).join(''), 'utf8');
}
