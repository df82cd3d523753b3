import { promises as fsp } from 'node:fs';
import path from 'node:path';
import * as z from 'zod';
import { writeFileAtomic } from '../log/fsutil';

// Per-session review decisions (accepted / rejected hunks per file), kept in `review.json` next to the session's log
// so they survive window reloads. Every file entry carries hashes of the baseline and the sandbox content the
// decisions were made on: when the agent changes the file again, its old decisions no longer apply and are dropped.

export type Decision = 'accepted' | 'rejected';

const FileReview = z.object({
  baseline: z.string(),
  current: z.string(),
  decisions: z.record(z.string(), z.enum(['accepted', 'rejected'])),
});
const ReviewFile = z.object({ version: z.literal(1), files: z.record(z.string(), FileReview) });
type ReviewFile = z.infer<typeof ReviewFile>;

export const REVIEW_FILE = 'review.json';

/** Content hashes identifying which version of a file decisions belong to. */
export interface FileVersion {
  baseline: string;
  current: string;
}

export class ReviewState {
  private data: ReviewFile = { version: 1, files: {} };
  private writing: Promise<void> = Promise.resolve();

  private constructor(private readonly file: string) {}

  /** Loads the state of the session whose directory is `sessionDir`; a missing or damaged file starts afresh. */
  static async load(sessionDir: string): Promise<{ state: ReviewState; problem: string | null }> {
    const state = new ReviewState(path.join(sessionDir, REVIEW_FILE));
    const raw = await fsp.readFile(state.file, 'utf8').catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? null : Promise.reject(err)));
    if (raw === null) return { state, problem: null };
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      return { state, problem: `${state.file} is not valid JSON; review decisions start afresh` };
    }
    const parsed = ReviewFile.safeParse(json);
    if (!parsed.success) return { state, problem: `${state.file} has an unexpected shape; review decisions start afresh` };
    state.data = parsed.data;
    return { state, problem: null };
  }

  /** Decisions that still apply to this version of the file. */
  decisions(file: string, version: FileVersion): ReadonlyMap<string, Decision> {
    const entry = this.data.files[file];
    if (!entry || entry.baseline !== version.baseline || entry.current !== version.current) return new Map();
    return new Map(Object.entries(entry.decisions));
  }

  /** Records (or with null clears) the decision on one hunk, then persists atomically. */
  async decide(file: string, version: FileVersion, hunkId: string, decision: Decision | null): Promise<void> {
    const entry = this.data.files[file];
    const fresh = !entry || entry.baseline !== version.baseline || entry.current !== version.current;
    const decisions = fresh ? {} : { ...entry.decisions };
    if (decision === null) delete decisions[hunkId];
    else decisions[hunkId] = decision;
    this.data = { ...this.data, files: { ...this.data.files, [file]: { ...version, decisions } } };
    await this.persist();
  }

  /** Forgets files the session no longer changes. */
  async prune(liveFiles: ReadonlySet<string>): Promise<void> {
    const files = Object.fromEntries(Object.entries(this.data.files).filter(([f]) => liveFiles.has(f)));
    if (Object.keys(files).length === Object.keys(this.data.files).length) return;
    this.data = { ...this.data, files };
    await this.persist();
  }

  private persist(): Promise<void> {
    // Writes are serialized so an older snapshot never lands after a newer one.
    const snapshot = JSON.stringify(this.data, null, 2);
    // A detached runtime's session has no directory in this window's storage until its first decision is kept.
    this.writing = this.writing.catch(() => undefined).then(async () => {
      await fsp.mkdir(path.dirname(this.file), { recursive: true });
      await writeFileAtomic(this.file, snapshot);
    });
    return this.writing;
  }
}
