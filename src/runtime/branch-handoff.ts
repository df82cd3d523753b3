import { BranchError, commitToBranch, type BranchResult } from '../review/branch';
import { draftCommitMessage } from '../review/commit-message';
import type { WorkspaceChanges } from '../sandbox/types';
import type { SessionEvent, SessionResource } from '../wire';
import { sessionRepository } from '../wire/session-repository';
import type { SessionService } from './sessions';
import { allEvents } from './all-events';

// A session's changes as a commit on a new branch of its repository (src/review/branch.ts does the git work); every
// surface goes through here, so the CLI and VS Code refuse the same things with the same words.

export interface HandOffRequest {
  branch: string;
  /** Absent: the drafted message (draftMessage). */
  message?: string;
  base?: string;
}

/**
 * Where a hand-off reads the session: the runtime's own sessions (the CLI, an in-process window) or its API (a window
 * on a detached runtime, whose changes come over HTTP and whose branch goes into the window's workspace).
 */
export interface HandOffSource {
  /** The git repository the branch goes into, or a BranchError when the session has none. */
  repository(id: string): Promise<string>;
  events(id: string): Promise<SessionEvent[]>;
  changes(id: string): Promise<WorkspaceChanges>;
  readFile(id: string, path: string, side: 'baseline' | 'current'): Promise<Buffer | null>;
}

/** The runtime's sessions as a hand-off source: the branch goes into the repository the session was started on. */
export function sessionsSource(sessions: SessionService): HandOffSource {
  return {
    repository: async (id) => repositoryOf(id, (await sessions.record(id)).resources, (r) => r.path),
    events: (id) => allEvents(sessions, id),
    changes: (id) => sessions.changes(id),
    readFile: (id, file, side) => sessions.readFile(id, file, side),
  };
}

/** The message a hand-off proposes for the session: its task, the agent's last account of it, the session id. */
export async function draftMessage(source: HandOffSource, id: string): Promise<string> {
  return draftCommitMessage(id, await source.events(id), (await source.changes(id)).files);
}

export async function handOffToBranch(source: HandOffSource, id: string, req: HandOffRequest): Promise<BranchResult> {
  const repo = await source.repository(id);
  const message = req.message ?? (await draftMessage(source, id));
  const changes = await source.changes(id);
  return commitToBranch(repo, changes, (f, side) => source.readFile(id, f, side), { branch: req.branch, message, base: req.base });
}

/** The session's repository as `pick` reads its resource, or a refusal: a session without one has nothing a branch could hold. */
export function repositoryOf(id: string, resources: readonly SessionResource[], pick: (r: NonNullable<ReturnType<typeof sessionRepository>>) => string): string {
  const repo = sessionRepository(resources);
  if (!repo) throw new BranchError(`Session ${id} has no local repository: there is no git repository to create a branch in.`);
  return pick(repo);
}
