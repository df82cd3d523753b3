import fs from 'node:fs/promises';
import path from 'node:path';
import type { FileSide, WorkspaceChanges } from '../types';
import { attributesText, BASELINE_REF } from '../repo/diff';
import { git, isolatedGitEnv } from '../repo/git';
import type { PathEdit } from '../repo/tree-objects';
import type { WatchResult } from '../toolserver/protocol';
import type { SandboxExec } from './hands';
import { WORKSPACE } from './container';
import type { HeadTree } from './copy-agent-git';
import type { CopiedFiles } from './copy-mode';
import type { ToolServerClient } from './toolserver-client';
import { blobId, TreeDiffer, treeEntries, type TreeEntry } from './tree-diff';

// Copy mode's baseline, out of the agent's reach: a tree in the layer's host-side git dir (the TreeDiffer's, under
// <storage>/layers/<id>/diff.git, ref refs/hangar/baseline), never in the container, so nothing the agent does there
// (its own .git included: it is a clone of the user's repository) can move it. Works with remote engines: only
// blob ids and the contents of changed files cross the engine's API.
//
// The container keeps only a stat cache: a scratch git dir outside /workspace whose index `git add -A` refreshes, so
// each changes() hashes only files whose stat moved. It is rebuilt from the baseline when missing (a new container);
// at provision, when the baseline is what the copy sent, it is built in the background while the session starts.
// The agent can tamper with that cache, which can hide a change from review but never alter the baseline.

const SCAN_DIR = '/var/tmp/hangar-scan';
const GIT = ['git', '-c', 'core.quotePath=false', '-c', 'core.autocrlf=false', '-c', 'core.fsmonitor=false', '-c', 'core.bigFileThreshold=1'];
// glibc returns zlib's buffers to the kernel after every object git stores; these keep it from (see copy-mode.ts).
const SCAN_ENV = [
  `GIT_DIR=${SCAN_DIR}`,
  `GIT_WORK_TREE=${WORKSPACE}`,
  'GIT_CONFIG_NOSYSTEM=1',
  'GIT_CONFIG_GLOBAL=/dev/null',
  'LC_ALL=C',
  'MALLOC_TRIM_THRESHOLD_=268435456',
  'MALLOC_TOP_PAD_=67108864',
];
/** An embedded repository's entry: recorded in a tree, never a blob the host can fetch or write. */
export const GITLINK = '160000';

/** path → [git mode, blob id]. */
type Entries = Map<string, TreeEntry>;

/**
 * Past this many paths differing from HEAD, the baseline's tree is written whole (in-process) rather than edited into
 * HEAD's: the clone's trees are packed, and an edit reads each tree on its paths with a git process of its own.
 */
const MAX_HEAD_EDITS = 256;

/** What turns the files of `from` into exactly `to`: changed and added entries, deletions (null). */
function editsFrom(from: Entries, to: readonly TreeEntry[]): Map<string, PathEdit> {
  const edits = new Map<string, PathEdit>();
  const kept = new Set<string>();
  for (const e of to) {
    kept.add(e.path);
    const was = from.get(e.path);
    if (was?.sha !== e.sha || was.mode !== e.mode) edits.set(e.path, { mode: e.mode, sha: e.sha });
  }
  for (const p of from.keys()) if (!kept.has(p)) edits.set(p, null);
  return edits;
}

// One exec per scan. A missing scratch dir is made (raw attributes: bytes go in unchanged) and its index seeded from
// the known entries on stdin (the baseline's, or at provision those the copy sent), so tracked files stay tracked
// even where a .gitignore names them. A refresh then takes the stat data of every file whose bytes match its entry
// (hashing, not storing), so `add -A` stores only files that differ: the seeded blobs are on the host already.
// Scans take turns (the provision's background warm-up may still run when the first checkpoint scans); the lock is
// best effort: without flock, or with a lock file the agent broke, a scan runs as it would alone.
const SCAN_SCRIPT = `set -e
a=$1; how=$2; shift 2
l=$GIT_DIR.lock
if command -v flock >/dev/null && (: >>"$l") 2>/dev/null; then exec 9>>"$l"; flock -w 60 9 || :; fi
if [ ! -f "$GIT_DIR/HEAD" ]; then
  rm -rf "$GIT_DIR"; env -u GIT_WORK_TREE "$@" init -q
  mkdir -p "$GIT_DIR/info"; printf %s "$a" > "$GIT_DIR/info/attributes"
  "$@" update-index -z --index-info
  "$@" update-index -q --refresh >/dev/null || :
fi
[ "$how" != warm ] || exit 0
"$@" add -A $([ "$how" != all ] || echo -f)
exec "$@" ls-files -s -z`;

/**
 * `changed`: what differs from the stat cache (ignored new files left out); `all`: every file, ignored or not;
 * `warm`: only makes the stat cache when missing, and reads nothing.
 */
type ScanHow = 'changed' | 'all' | 'warm';

async function scan(exec: SandboxExec, seed: readonly TreeEntry[], how: ScanHow): Promise<Entries> {
  const stdin = seed.map((e) => `${e.mode} ${e.sha}\t${e.path}\0`).join('');
  const r = await exec({ cmd: ['sh', '-c', SCAN_SCRIPT, 'sh', attributesText([]), how, ...GIT], workdir: WORKSPACE, env: SCAN_ENV, stdin });
  if (r.exitCode !== 0) throw new Error(`reading the sandbox's files failed (exit ${r.exitCode}): ${r.stderr.toString('utf8').trim()}`);
  return parseEntries(r.stdout);
}

/** `git ls-files -s -z` output as entries. */
function parseEntries(out: Buffer): Entries {
  const entries: Entries = new Map();
  for (const rec of out.toString('utf8').split('\0')) {
    const m = /^(\d{6}) ([0-9a-f]{40,64}) \d\t(.+)$/s.exec(rec);
    if (m) entries.set(m[3] as string, { path: m[3] as string, mode: m[1] as string, sha: m[2] as string });
  }
  return entries;
}

// Stores the named files in the scratch dir first (a file the refresh matched to a seeded entry is hashed, not stored),
// then prints the blobs asked for.
const FETCH_SCRIPT = `set -e
paths=$1; shift
[ -z "$paths" ] || printf %s "$paths" | "$@" hash-object -w --no-filters --stdin-paths >/dev/null
exec "$@" cat-file --batch`;

/**
 * Blob contents from the scratch dir, each checked against its id (the agent could have replaced the object file);
 * `store` names files of the workspace to store there first.
 */
async function fetchBlobs(exec: SandboxExec, shas: readonly string[], store: readonly string[] = []): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  if (shas.length === 0) return out;
  const cmd = ['sh', '-c', FETCH_SCRIPT, 'sh', store.map((p) => `${p}\n`).join(''), ...GIT];
  const r = await exec({ cmd, workdir: WORKSPACE, env: SCAN_ENV, stdin: shas.map((s) => `${s}\n`).join('') });
  if (r.exitCode !== 0) throw new Error(`reading changed files from the sandbox failed (exit ${r.exitCode}): ${r.stderr.toString('utf8').trim()}`);
  let at = 0;
  const buf = r.stdout;
  while (at < buf.length) {
    const eol = buf.indexOf(10, at);
    const header = buf.subarray(at, eol).toString('utf8').split(' ');
    at = eol + 1;
    if (header[1] !== 'blob') continue; // "<sha> missing": gone since the scan, the next changes() sees it
    const size = Number(header[2]);
    out.set(header[0] as string, buf.subarray(at, at + size));
    at += size + 1;
  }
  return out;
}

/** The last tree currentTree() made, the entries it holds, and the tool server's watch period that began with it. */
interface LastTree {
  tree: string;
  entries: Entries;
  /** null: no watch (no tool server, or it was unsure): the next checkpoint scans in full. */
  epoch: string | null;
}

export class CopyBaseline {
  private entries: Entries | null = null;
  private lastTree: LastTree | null = null;
  /** How the last currentTree() found the files, and why the watch could not say when it did not (diagnostics, tests). */
  lastSource: { via: 'watch' | 'scan'; unsure: string | null } | null = null;

  constructor(
    private readonly differ: TreeDiffer,
    /** Runs a command in the sandbox as its user (hands.ts#sandboxExec). */
    private readonly exec: () => Promise<SandboxExec>,
    /** Workspace-relative paths bound from elsewhere (repository resources): not the workspace's, never its changes. */
    private readonly mounted: readonly string[] = [],
    /** The sandbox's tool server, whose watch gives checkpoints their changed files (null: none, scan in full). */
    private readonly server: () => Promise<ToolServerClient | null> = async () => null,
  ) {}

  private hostGit(args: readonly string[]): Promise<Buffer> {
    return git(args, { env: isolatedGitEnv({ GIT_DIR: this.differ.gitDir }) });
  }

  /**
   * Records what /workspace holds now as the baseline: the copied repository plus anything the image put in the
   * volume. Blobs come from the host git dir where they are already (the agent clone's objects), then from the host's
   * copy of the repository where its bytes still match, from the container otherwise (a file changed since it was
   * copied, the image's own files). When the copy was alone in the volume and every blob it sent is on the host, the
   * baseline is what it sent (`head`, the agent clone's HEAD, gives most of its tree), recorded without reading the
   * container, and the stat cache is made in the background.
   * Otherwise a scan reads /workspace, checking the files against the entries sent instead of storing each again.
   * `recorded`: recordSent's answer when it ran already (while the engine still unpacked the copy).
   */
  async record(repoPath: string | null, copied: CopiedFiles, head: HeadTree | null = null, recorded: Promise<boolean> = this.recordSent(repoPath, copied, head)): Promise<void> {
    const exec = await this.exec();
    if (await recorded) {
      // A failure only leaves the first scan to make it.
      scan(exec, copied.sent, 'warm').catch(() => undefined);
      return;
    }
    const [entries] = await Promise.all([scan(exec, copied.sent, 'all'), this.differ.init()]);
    const absent = await this.storeFromHost(repoPath, [...entries.values()]);
    const fromContainer = [...entries.values()].filter((e) => e.mode !== GITLINK && absent.has(e.sha));
    await this.storeBlobs(exec, [...absent], [...new Set(fromContainer.map((e) => e.path))]);
    await this.setBaseline(await this.differ.writeTree([...entries.values()]), entries);
  }

  /**
   * Records the baseline as exactly what the copy sent when it was alone in the volume and every blob it sent is on
   * the host; false otherwise (record() then reads /workspace). Host work only: it can run as soon as every file is
   * read into the copy's tar, while the engine still unpacks it.
   */
  async recordSent(repoPath: string | null, copied: CopiedFiles, head: HeadTree | null): Promise<boolean> {
    const sent = copied.alone ? await this.sentTree(repoPath, copied.sent, head) : null;
    if (sent) await this.setBaseline(sent, new Map(copied.sent.map((e) => [e.path, e])));
    return sent !== null;
  }

  /**
   * The tree of exactly the entries the copy sent, or null when a blob of it is neither on the host git dir nor in the
   * host's files (a file changed since it was sent). With the agent clone's HEAD, whose objects the host git dir holds,
   * it is HEAD's tree with only what differs edited in (the user's uncommitted changes, untracked files): nothing to
   * list, look up or store for the files HEAD has as they are.
   */
  private async sentTree(repoPath: string | null, sent: readonly TreeEntry[], head: HeadTree | null): Promise<string | null> {
    const edits = head ? editsFrom(head.entries, sent) : null;
    if (head && edits && edits.size <= MAX_HEAD_EDITS) {
      const added = [...edits].flatMap(([p, e]) => (e ? [{ path: p, ...e }] : []));
      return (await this.storeFromHost(repoPath, added)).size === 0 ? this.differ.editTree(head.tree, edits) : null;
    }
    return (await this.storeFromHost(repoPath, sent)).size === 0 ? this.differ.writeTree(sent) : null;
  }

  private async setBaseline(tree: string, entries: Entries): Promise<void> {
    await this.hostGit(['update-ref', BASELINE_REF, tree]);
    this.entries = entries;
  }

  /**
   * Stores the blobs of `entries` the host git dir lacks from the host's copy of the repository, where a file's bytes
   * are still the blob's; returns the ids still missing.
   */
  private async storeFromHost(repoPath: string | null, entries: readonly TreeEntry[]): Promise<Set<string>> {
    const blobs = entries.filter((e) => e.mode !== GITLINK);
    const absent = new Set(await this.differ.missing([...new Set(blobs.map((e) => e.sha))]));
    const fromHost = new Map(blobs.filter((e) => absent.has(e.sha)).map((e) => [e.sha, e.path]));
    for (const [sha, rel] of fromHost) if (repoPath && (await this.storeHostFile(repoPath, rel, sha))) absent.delete(sha);
    return absent;
  }

  /** Stores the host's version of `rel` when its bytes have the id `sha` (unchanged since the copy); true if so. */
  private async storeHostFile(repoPath: string, rel: string, sha: string): Promise<boolean> {
    const abs = path.join(repoPath, rel);
    const st = await fs.lstat(abs).catch(() => null);
    const bytes = st?.isSymbolicLink() ? Buffer.from(await fs.readlink(abs)) : st?.isFile() ? await fs.readFile(abs).catch(() => null) : null;
    return bytes !== null && blobId(bytes) === sha && (await this.differ.writeBlob(bytes)) === sha;
  }

  private async storeBlobs(exec: SandboxExec, shas: readonly string[], store: readonly string[] = []): Promise<void> {
    const blobs = await fetchBlobs(exec, shas, store);
    for (const sha of shas) {
      const content = blobs.get(sha);
      if (!content || (await this.differ.writeBlob(content)) !== sha) throw new Error(`the sandbox gave the wrong content for blob ${sha}`);
    }
  }

  private async baseline(): Promise<Entries> {
    return (this.entries ??= await treeEntries(this.differ.gitDir, BASELINE_REF));
  }

  /** The workspace against the baseline, built like the overlay's diff: two small trees of just the changed paths. */
  async changes(): Promise<WorkspaceChanges> {
    const base = await this.baseline();
    const exec = await this.exec();
    const current = await scan(exec, [...base.values()], 'changed');
    const changed = [...new Set([...base.keys(), ...current.keys()])].filter((p) => {
      const a = base.get(p);
      const b = current.get(p);
      return (a?.sha !== b?.sha || a?.mode !== b?.mode) && !this.isMounted(p);
    });
    if (changed.length === 0) return { patch: '', files: [] };
    const pick = (from: Entries) => changed.flatMap((p) => from.get(p) ?? []);
    const now = pick(current);
    await this.storeBlobs(exec, [...new Set(now.filter((e) => e.mode !== GITLINK).map((e) => e.sha))]);
    return this.differ.diff(await this.differ.writeTree(pick(base)), await this.differ.writeTree(now));
  }

  /**
   * The workspace's files now (binds left out) as a tree in the host git dir. After the first, each is the previous one
   * with only the entries that differ edited in (tree-objects.ts). With a tool server, the changed files come from its
   * watch in one request (the fast path, toolserver/checkpoint-watch.ts); without one, or when the watch is unsure, from
   * a full scan (stat-cached), which also starts the watch's next period.
   */
  async currentTree(): Promise<string> {
    const server = await this.server();
    const last = this.lastTree;
    let unsure = server ? (last?.epoch ? null : 'no watch period yet') : 'no tool server';
    if (server && last?.epoch) {
      const watched = await server.watchChanges(last.epoch).catch((err: unknown) => ({ epoch: null, changes: [], unsure: String(err) }));
      if (watched.epoch) {
        this.lastSource = { via: 'watch', unsure: null };
        return this.applyWatched(last, watched);
      }
      unsure = watched.unsure ?? 'unsure';
    }
    this.lastSource = { via: 'scan', unsure };
    // The period starts before the scan reads a file: whatever changes meanwhile is in the next answer.
    const started = server ? await server.watchReset(this.mounted).catch(() => null) : null;
    const tree = await this.scannedTree();
    const current = (this.lastTree as LastTree).entries;
    if (server && started?.epoch) {
      const base = await server.watchBase(started.epoch, [...current.values()].map((e) => [e.path, e.mode, e.sha])).catch(() => null);
      (this.lastTree as LastTree).epoch = base?.epoch ?? null;
    }
    return tree;
  }

  /** The watch's changes edited into the last tree; their blobs (sent along) checked against their ids and stored. */
  private async applyWatched(last: LastTree, watched: WatchResult): Promise<string> {
    const changes = watched.changes.filter((c) => !this.isMounted(c.path));
    const stored = await Promise.all(changes.map((c) => (c.mode === null || c.content === undefined ? null : this.differ.writeBlob(Buffer.from(c.content, 'base64')))));
    const edits = new Map<string, PathEdit>();
    for (const [i, c] of changes.entries()) {
      if (c.mode !== null && stored[i] !== c.sha) throw new Error(`the sandbox gave the wrong content for ${c.path} (blob ${c.sha ?? 'none'})`);
      edits.set(c.path, c.mode === null ? null : { mode: c.mode, sha: c.sha as string });
    }
    const tree = edits.size > 0 ? await this.differ.editTree(last.tree, edits) : last.tree;
    for (const [p, e] of edits) {
      if (e) last.entries.set(p, { path: p, ...e });
      else last.entries.delete(p);
    }
    this.lastTree = { tree, entries: last.entries, epoch: watched.epoch };
    return tree;
  }

  /** The full path: a stat-cached scan of every file; blobs the host lacks come from the container. */
  private async scannedTree(): Promise<string> {
    const base = await this.baseline();
    const exec = await this.exec();
    const current: Entries = new Map();
    for (const e of (await scan(exec, [...base.values()], 'changed')).values()) if (!this.isMounted(e.path)) current.set(e.path, e);
    const last = this.lastTree;
    const changed = last ? [...new Set([...last.entries.keys(), ...current.keys()])].filter((p) => last.entries.get(p)?.sha !== current.get(p)?.sha || last.entries.get(p)?.mode !== current.get(p)?.mode) : [...current.keys()];
    const blobs = changed.flatMap((p) => {
      const e = current.get(p);
      return e && e.mode !== GITLINK ? [e.sha] : [];
    });
    await this.storeBlobs(exec, await this.differ.missing([...new Set(blobs)]));
    const tree = last ? await this.differ.editTree(last.tree, new Map(changed.map((p) => [p, current.get(p) ?? null]))) : await this.differ.writeTree([...current.values()]);
    this.lastTree = { tree, entries: current, epoch: null };
    return tree;
  }

  private isMounted(p: string): boolean {
    return this.mounted.some((m) => p === m || p.startsWith(`${m}/`));
  }

  async readFile(rel: string, side: FileSide): Promise<Buffer | null> {
    if (side === 'baseline') {
      const e = (await this.baseline()).get(rel);
      return e && e.mode !== GITLINK ? this.hostGit(['cat-file', 'blob', e.sha]) : null;
    }
    const cmd = ['sh', '-c', 'if [ -L "$1" ]; then printf %s "$(readlink "$1")"; elif [ -f "$1" ]; then cat "$1"; else exit 3; fi', 'sh', rel];
    const r = await (await this.exec())({ cmd, workdir: WORKSPACE });
    return r.exitCode === 0 ? r.stdout : null;
  }
}
