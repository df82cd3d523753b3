import { appendFile, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ChangeStatus, FileChange, WorkspaceChanges } from '../types';
import { isUtf8 } from '../../tools/output';
import { git, GitError, isolatedGitEnv, RAW_ATTRIBUTES } from './git';

// The sandbox's baseline lives in a git dir outside the workspace: nothing the agent does in the workspace (its own
// .git included) can move it, so the diff against it is what Hangar trusts for review.

export const BASELINE_REF = 'refs/hangar/baseline';

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

const AGENT_CONFIG = `[core]
	autocrlf = false
[user]
	name = Hangar agent
	email = agent@hangar.localhost
`;

const DIFF_FLAGS = ['diff', '--cached', '-M', '--no-color', '--no-ext-diff', '--no-textconv', '--src-prefix=a/', '--dst-prefix=b/'];

/** A gitattributes pattern matching exactly `rel` from the top: glob characters escaped, then C-quoted. */
export function exactAttributePattern(rel: string): string {
  const pattern = `/${rel.replace(/[\\*?[]/g, '\\$&')}`;
  return `"${pattern.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\t/g, '\\t')}"`;
}

async function writeRawAttributes(gitDir: string, binaryPaths: readonly string[] = []): Promise<void> {
  await mkdir(path.join(gitDir, 'info'), { recursive: true });
  const extra = binaryPaths.map((p) => `${exactAttributePattern(p)} -diff\n`).join('');
  await writeFile(path.join(gitDir, 'info', 'attributes'), RAW_ATTRIBUTES + extra);
  await writeFile(path.join(gitDir, 'info', 'exclude'), '');
}

export class BaselineRepo {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly gitDir: string,
    readonly workTree: string,
  ) {}

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
    await git(['init', '-q'], { env: isolatedGitEnv({ GIT_DIR: this.gitDir }) });
    await appendFile(path.join(this.gitDir, 'config'), PRIVATE_CONFIG);
    await writeRawAttributes(this.gitDir);
    await this.run(['-c', 'core.bigFileThreshold=1', 'add', '-A', '-f']);
    await this.run(['commit', '-q', '--no-verify', '--allow-empty', '-m', 'Hangar baseline']);
    await this.run(['update-ref', BASELINE_REF, 'HEAD']);
    return (await this.run(['rev-parse', BASELINE_REF])).toString('utf8').trim();
  }

  /** The work tree against the baseline: every file git can see, minus what the work tree's .gitignore files hide. */
  changes(): Promise<WorkspaceChanges> {
    const next = this.queue.then(() => this.changesNow());
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async changesNow(): Promise<WorkspaceChanges> {
    // Calls are serialized, so a lock file here is the leftover of a killed process.
    await rm(path.join(this.gitDir, 'index.lock'), { force: true });
    await this.run(['add', '-A']);
    const raw = parseRaw(await this.run([...DIFF_FLAGS, '--raw', '-z', '--no-abbrev', BASELINE_REF]));
    let [patch, numstat] = await this.patchAndNumstat();
    if (!isUtf8(patch)) {
      // The patch is handed on as a string: text files that are not UTF-8 go in as binary patches, so nothing is lost.
      const offenders = await this.nonUtf8Files(raw, numstat);
      await writeRawAttributes(this.gitDir, offenders);
      try {
        [patch, numstat] = await this.patchAndNumstat();
      } finally {
        await writeRawAttributes(this.gitDir);
      }
    }
    return { patch: patch.toString('utf8'), files: mergeDiffRecords(raw, numstat) };
  }

  private async patchAndNumstat(): Promise<[Buffer, NumstatRecord[]]> {
    const [patch, numstat] = await Promise.all([
      this.run([...DIFF_FLAGS, '--binary', BASELINE_REF]),
      this.run([...DIFF_FLAGS, '--numstat', '-z', BASELINE_REF]),
    ]);
    return [patch, parseNumstat(numstat)];
  }

  private async nonUtf8Files(raw: RawRecord[], numstat: NumstatRecord[]): Promise<string[]> {
    const textual = new Set(numstat.filter((n) => !n.binary).map((n) => n.path));
    const offenders: string[] = [];
    for (const record of raw) {
      if (!textual.has(record.path)) continue;
      for (const [sha, file] of [[record.oldSha, record.oldPath ?? record.path], [record.newSha, record.path]] as const) {
        if (/^0+$/.test(sha)) continue;
        if (!isUtf8(await this.run(['cat-file', 'blob', sha]))) offenders.push(file);
      }
    }
    return offenders;
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

/**
 * Gives the workspace a git repository of its own holding the same baseline commit, so the agent can run
 * `git status` / `git diff`. Its objects come from the private repository through alternates (no second copy).
 */
export async function initAgentRepo(workTree: string, baselineGitDir: string): Promise<void> {
  const gitDir = path.join(workTree, '.git');
  const env = isolatedGitEnv({ GIT_DIR: gitDir, GIT_WORK_TREE: workTree });
  const run = (args: readonly string[]) => git(args, { cwd: workTree, env });
  await run(['init', '-q']);
  await mkdir(path.join(gitDir, 'objects', 'info'), { recursive: true });
  await writeFile(path.join(gitDir, 'objects', 'info', 'alternates'), `${path.relative(path.join(gitDir, 'objects'), path.join(baselineGitDir, 'objects'))}\n`);
  await writeRawAttributes(gitDir);
  await appendFile(path.join(gitDir, 'config'), AGENT_CONFIG);
  await run(['add', '-A', '-f']);
  await run(['commit', '-q', '--no-verify', '--allow-empty', '-m', 'Baseline (the repository as the session started)']);
}

export interface RawRecord {
  oldMode: string;
  newMode: string;
  oldSha: string;
  newSha: string;
  status: string;
  path: string;
  oldPath?: string;
}

/** Parses `git diff --raw -z`: `:<old mode> <new mode> <old sha> <new sha> <status>\0<path>\0[<new path>\0]`. */
export function parseRaw(out: Buffer): RawRecord[] {
  const tokens = out.toString('utf8').split('\0');
  const records: RawRecord[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const meta = tokens[i] as string;
    if (!meta.startsWith(':')) continue;
    const [oldMode, newMode, oldSha, newSha, status] = meta.slice(1).split(' ') as [string, string, string, string, string];
    if (status.startsWith('R') || status.startsWith('C')) {
      records.push({ oldMode, newMode, oldSha, newSha, status, oldPath: tokens[i + 1] as string, path: tokens[i + 2] as string });
      i += 2;
    } else {
      records.push({ oldMode, newMode, oldSha, newSha, status, path: tokens[i + 1] as string });
      i += 1;
    }
  }
  return records;
}

export interface NumstatRecord {
  path: string;
  additions: number;
  deletions: number;
  binary: boolean;
}

/** Parses `git diff --numstat -z`: `<add>\t<del>\t<path>\0`, or `<add>\t<del>\t\0<old>\0<new>\0` for a rename. */
export function parseNumstat(out: Buffer): NumstatRecord[] {
  const tokens = out.toString('utf8').split('\0');
  const records: NumstatRecord[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as string;
    if (token === '') continue;
    const [add, del, inlinePath] = token.split('\t') as [string, string, string];
    let file = inlinePath;
    if (inlinePath === '') {
      file = tokens[i + 2] as string;
      i += 2;
    }
    const binary = add === '-' && del === '-';
    records.push({ path: file, additions: binary ? 0 : Number(add), deletions: binary ? 0 : Number(del), binary });
  }
  return records;
}

function statusOf(record: RawRecord): ChangeStatus {
  switch (record.status[0]) {
    case 'A':
    case 'C':
      return 'added';
    case 'D':
      return 'deleted';
    case 'R':
      return 'renamed';
    case 'M':
      return record.oldSha === record.newSha && record.oldMode !== record.newMode ? 'mode_changed' : 'modified';
    case 'T':
      return 'modified';
    default:
      throw new Error(`unexpected git diff status ${record.status} for ${record.path}`);
  }
}

export function mergeDiffRecords(raw: RawRecord[], numstat: NumstatRecord[]): FileChange[] {
  const counts = new Map(numstat.map((n) => [n.path, n]));
  return raw.map((record) => {
    const status = statusOf(record);
    const n = counts.get(record.path);
    const change: FileChange = { path: record.path, status, binary: n?.binary ?? false, additions: n?.additions ?? 0, deletions: n?.deletions ?? 0 };
    if (record.oldPath !== undefined) change.old_path = record.oldPath;
    if (status !== 'added') change.old_mode = record.oldMode;
    if (status !== 'deleted') change.new_mode = record.newMode;
    return change;
  });
}
