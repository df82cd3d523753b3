import type { ChangeStatus, FileChange, WorkspaceChanges } from '../types';
import { isUtf8 } from '../../tools/output';

// The one way every provider turns a baseline and a current tree into WorkspaceChanges: the same git flags, the same
// attribute overrides, the same parsing. Where git runs (a private host repository, a scratch repository of two
// small trees, a repository inside a container) is the caller's GitBackend.

/** The ref of the baseline commit in repositories Hangar records one in (the agent's commits do not move it). */
export const BASELINE_REF = 'refs/hangar/baseline';

/** `git diff` of the index against a commit, in the format every provider reports. */
export const DIFF_CACHED = ['diff', '--cached', '-M', '--no-color', '--no-ext-diff', '--no-textconv', '--src-prefix=a/', '--dst-prefix=b/'];

/** Attributes that override a repository's .gitattributes: bytes go into git unchanged (no EOL conversion or filters). */
const RAW_ATTRIBUTES = '* -text -filter -ident !eol !diff !working-tree-encoding\n';

/** A gitattributes pattern matching exactly `rel` from the top: glob characters escaped, then C-quoted. */
export function exactAttributePattern(rel: string): string {
  const pattern = `/${rel.replace(/[\\*?[]/g, '\\$&')}`;
  return `"${pattern.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\t/g, '\\t')}"`;
}

/** The attribute file content: the raw overrides plus `-diff` for each path that must be shown as binary. */
export function attributesText(binaryPaths: readonly string[]): string {
  return RAW_ATTRIBUTES + binaryPaths.map((p) => `${exactAttributePattern(p)} -diff\n`).join('');
}

/** Where a diff runs. */
export interface GitBackend {
  run(args: string[]): Promise<Buffer>;
  /** Rewrites the attribute overrides (attributesText), marking `binaryPaths` as binary for the diff. */
  writeAttributes(binaryPaths: readonly string[]): Promise<void>;
}

/**
 * The changes: raw records and numstat (one git run: raw records come first in its output), then a --binary patch. The
 * patch is handed on as a string, so text files that are not UTF-8 go in as binary patches and nothing is lost.
 * `argsFor` completes a diff command with the sides to compare. The runs go one after another: a second run at the
 * same time would start a second process launcher (spawn-off-loop.ts), a Node boot that a one-shot CLI printing its
 * diff on the way out waited for (100-400 ms on a loaded machine).
 */
export async function gitChanges(git: GitBackend, argsFor: (extra: string[]) => string[]): Promise<WorkspaceChanges> {
  const records = async () => parseRawAndNumstat(await git.run(argsFor(['--raw', '--numstat', '-z', '--no-abbrev'])));
  let { raw, numstat } = await records();
  let patch = await git.run(argsFor(['--binary']));
  if (!isUtf8(patch)) {
    await git.writeAttributes(await nonUtf8Files(git, raw, numstat));
    try {
      ({ raw, numstat } = await records());
      patch = await git.run(argsFor(['--binary']));
    } finally {
      await git.writeAttributes([]);
    }
  }
  return { patch: patch.toString('utf8'), files: mergeDiffRecords(raw, numstat) };
}

async function nonUtf8Files(git: GitBackend, raw: RawRecord[], numstat: NumstatRecord[]): Promise<string[]> {
  const textual = new Set(numstat.filter((n) => !n.binary).map((n) => n.path));
  const offenders: string[] = [];
  for (const r of raw) {
    if (!textual.has(r.path)) continue;
    for (const [sha, file] of [[r.oldSha, r.oldPath ?? r.path], [r.newSha, r.path]] as const) {
      if (!/^0+$/.test(sha) && !isUtf8(await git.run(['cat-file', 'blob', sha]))) offenders.push(file);
    }
  }
  return offenders;
}

interface RawRecord {
  oldMode: string;
  newMode: string;
  oldSha: string;
  newSha: string;
  status: string;
  path: string;
  oldPath?: string;
}

interface NumstatRecord {
  path: string;
  additions: number;
  deletions: number;
  binary: boolean;
}

/**
 * Parses `git diff --raw --numstat -z`: first the raw records, `:<old mode> <new mode> <old sha> <new sha>
 * <status>\0<path>\0[<new path>\0]` (a rename or copy names two paths), then the numstat records,
 * `<add>\t<del>\t<path>\0`, or `<add>\t<del>\t\0<old>\0<new>\0` for a rename. Each record says how many path tokens
 * follow it, so a path that looks like a record (one starting with ':') is never taken for one.
 */
function parseRawAndNumstat(out: Buffer): { raw: RawRecord[]; numstat: NumstatRecord[] } {
  const tokens = out.toString('utf8').split('\0');
  const raw: RawRecord[] = [];
  const numstat: NumstatRecord[] = [];
  let i = 0;
  for (; i < tokens.length && (tokens[i] as string).startsWith(':'); i++) {
    const [oldMode, newMode, oldSha, newSha, status] = (tokens[i] as string).slice(1).split(' ') as [string, string, string, string, string];
    if (status.startsWith('R') || status.startsWith('C')) {
      raw.push({ oldMode, newMode, oldSha, newSha, status, oldPath: tokens[i + 1] as string, path: tokens[i + 2] as string });
      i += 2;
    } else {
      raw.push({ oldMode, newMode, oldSha, newSha, status, path: tokens[i + 1] as string });
      i += 1;
    }
  }
  for (; i < tokens.length; i++) {
    const token = tokens[i] as string;
    if (token === '') continue;
    // The path is everything after the second tab: a file's name may hold tabs too.
    const addEnd = token.indexOf('\t');
    const delEnd = token.indexOf('\t', addEnd + 1);
    const [add, del, inlinePath] = [token.slice(0, addEnd), token.slice(addEnd + 1, delEnd), token.slice(delEnd + 1)];
    let file = inlinePath;
    if (inlinePath === '') {
      file = tokens[i + 2] as string;
      i += 2;
    }
    const binary = add === '-' && del === '-';
    numstat.push({ path: file, additions: binary ? 0 : Number(add), deletions: binary ? 0 : Number(del), binary });
  }
  return { raw, numstat };
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

function mergeDiffRecords(raw: RawRecord[], numstat: NumstatRecord[]): FileChange[] {
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
