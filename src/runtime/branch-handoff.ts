import { BranchError, commitToBranch, type BranchResult } from '../review/branch';
import { draftCommitMessage } from '../review/commit-message';
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

/** The message a hand-off proposes for the session: its task, the agent's last account of it, the session id. */
export async function draftMessage(sessions: SessionService, id: string): Promise<string> {
  return draftCommitMessage(id, await allEvents(sessions, id), (await sessions.changes(id)).files);
}

export async function handOffToBranch(sessions: SessionService, id: string, req: HandOffRequest): Promise<BranchResult> {
  const repo = repositoryOf(await sessions.record(id));
  const message = req.message ?? (await draftMessage(sessions, id));
  const changes = await sessions.changes(id);
  return commitToBranch(repo, changes, (f, side) => sessions.readFile(id, f, side), { branch: req.branch, message, base: req.base });
}

/** The session's repository, or a refusal: a session without one has nothing a branch could hold. */
export function repositoryOf(record: { id: string; resources: Parameters<typeof sessionRepository>[0] }): string {
  const repo = sessionRepository(record.resources)?.path;
  if (!repo) throw new BranchError(`Session ${record.id} has no local repository: there is no git repository to create a branch in.`);
  return repo;
}
