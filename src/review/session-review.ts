import type { FileChange, FileSide, WorkspaceChanges } from '../sandbox/types';
import { computeHunks, sha256, type Hunk } from './hunks';
import { ReviewState, type Decision, type FileVersion } from './state';

// One session's review, surface-neutral: its changed files, their hunks, and which hunks were accepted or rejected.
// The VS Code glue (src/extension/review) turns decisions into WorkspaceEdits; this module never writes the workspace.

export interface ChangeSource {
  changes(): Promise<WorkspaceChanges>;
  read(file: string, side: FileSide): Promise<Buffer | null>;
}

export type HunkStatus = Decision | 'pending';

export interface ReviewedHunk extends Hunk {
  status: HunkStatus;
}

export interface ReviewedFile {
  change: FileChange;
  path: string;
  /** Where the baseline content lives (differs from path for renames). */
  basePath: string;
  version: FileVersion;
  /** Decoded contents; null on a side where the file does not exist. Unset when the file is not reviewable text. */
  baseline: string | null;
  current: string | null;
  /** False for binary or non-UTF-8 content and for renames and mode changes: those are reviewed as a whole file. */
  perHunk: boolean;
  hunks: ReviewedHunk[];
}

export class SessionReview {
  private constructor(
    private readonly source: ChangeSource,
    readonly state: ReviewState,
    readonly problem: string | null,
  ) {}

  static async open(sessionDir: string, source: ChangeSource): Promise<SessionReview> {
    const { state, problem } = await ReviewState.load(sessionDir);
    return new SessionReview(source, state, problem);
  }

  async files(): Promise<ReviewedFile[]> {
    const changes = await this.source.changes();
    const files = await Promise.all(changes.files.map((c) => this.load(c)));
    await this.state.prune(new Set(files.map((f) => f.path)));
    return files;
  }

  async file(path: string): Promise<ReviewedFile | undefined> {
    const change = (await this.source.changes()).files.find((f) => f.path === path);
    return change ? this.load(change) : undefined;
  }

  async decide(file: ReviewedFile, hunkId: string, decision: Decision | null): Promise<void> {
    await this.state.decide(file.path, file.version, hunkId, decision);
  }

  private async load(change: FileChange): Promise<ReviewedFile> {
    const basePath = change.status === 'renamed' && change.old_path ? change.old_path : change.path;
    const [baseBytes, currentBytes] = await Promise.all([
      change.status === 'added' ? Promise.resolve(null) : this.source.read(basePath, 'baseline'),
      change.status === 'deleted' ? Promise.resolve(null) : this.source.read(change.path, 'current'),
    ]);
    const version = { baseline: hashOf(baseBytes), current: hashOf(currentBytes) };
    const baseline = decodeText(baseBytes);
    const current = decodeText(currentBytes);
    const textual = !change.binary && baseline !== undefined && current !== undefined;
    const perHunk = textual && change.status !== 'renamed' && change.status !== 'mode_changed';
    const decisions = this.state.decisions(change.path, version);
    const raw = perHunk ? computeHunks(baseline ?? null, current ?? null) : [wholeFileHunk(version)];
    const hunks = raw.map((h) => ({ ...h, status: decisions.get(h.id) ?? ('pending' as const) }));
    return {
      change,
      path: change.path,
      basePath,
      version,
      baseline: textual ? (baseline ?? null) : null,
      current: textual ? (current ?? null) : null,
      perHunk,
      hunks,
    };
  }
}

/** Files reviewed as a whole carry one pseudo-hunk so file-level decisions use the same bookkeeping. */
function wholeFileHunk(version: FileVersion): Hunk {
  return { index: 0, id: `file-${version.current.slice(0, 12)}`, baseStart: 0, removed: [], newStart: 0, added: [] };
}

function hashOf(bytes: Buffer | null): string {
  return bytes === null ? 'absent' : sha256(bytes);
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** UTF-8 text, null for an absent side, undefined for content that is not text (NUL bytes or invalid UTF-8). */
export function decodeText(bytes: Buffer | null): string | null | undefined {
  if (bytes === null) return null;
  if (bytes.includes(0)) return undefined;
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

export function countByStatus(files: readonly ReviewedFile[]): Record<HunkStatus, number> {
  const counts: Record<HunkStatus, number> = { pending: 0, accepted: 0, rejected: 0 };
  for (const f of files) for (const h of f.hunks) counts[h.status] += 1;
  return counts;
}
