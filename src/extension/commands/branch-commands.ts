import * as vscode from 'vscode';
import * as z from 'zod';
import { BranchError, checkBranchName, type BranchResult } from '../../review/branch';
import { subjectOf, withSubject } from '../../review/commit-message';
import { draftMessage, handOffToBranch, repositoryOf, type HandOffSource } from '../../runtime/branch-handoff';
import type { RuntimeClient } from '../connection/runtime-client';
import type { Hangar } from '../hangar';
import { guarded, resolveSession } from './args';

// Hangar: Commit Changes to New Branch. The session's changes become one commit on a new branch of its repository
// (src/review/branch.ts: made in a scratch worktree, so the open checkout, its index and HEAD are not touched). The
// user names the branch (checked as they type, as git would) and edits the drafted message's subject line; the body
// keeps the agent's summary and the session id. Tests and other commands pass {sessionId, branch, message} to skip
// the questions.

const Given = z.looseObject({ branch: z.string().optional(), message: z.string().optional() });

export function registerBranchCommands(h: Hangar): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand(
      'hangar.commitToBranch',
      guarded(h, 'hangar.commitToBranch', async (arg?: unknown): Promise<BranchResult | undefined> => {
        const id = await resolveSession(h, arg, 'Commit the changes of which session to a new branch?');
        if (!id) return undefined;
        const source = clientSource(h.host.client);
        const given = Given.safeParse(arg).data ?? {};
        const repo = await source.repository(id);
        const draft = given.message ?? (await draftMessage(source, id));
        const branch = given.branch ?? (await askBranch(repo, draft));
        if (branch === undefined) return undefined;
        const message = given.message ?? (await askSubject(draft));
        if (message === undefined) return undefined;
        try {
          const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Hangar: committing to ${branch}` }, () =>
            handOffToBranch(source, id, { branch, message }),
          );
          void vscode.window
            .showInformationMessage(`Hangar: committed ${result.files.length} file(s) to the new branch ${branch} (${result.commit.slice(0, 7)}). Your checkout is untouched.`, 'Copy Branch Name')
            .then((choice) => (choice ? vscode.env.clipboard.writeText(branch) : undefined));
          return result;
        } catch (err) {
          if (!(err instanceof BranchError) || err.conflicts.length === 0) throw err;
          const [first] = err.conflicts;
          const more = err.conflicts.length > 1 ? ` (and ${err.conflicts.length - 1} more)` : '';
          void vscode.window.showWarningMessage(
            `Hangar did not create ${branch}: ${first!.path}${more} differs in HEAD from what the session started from (${first!.reason}). Commit your changes to it first, or use Apply All.`,
          );
          return undefined;
        }
      }),
    ),
  ];
}

/**
 * The session as this window's runtime serves it (in-process or detached): the branch goes into the workspace the
 * window started it on, which for a workspace uploaded to another machine is this machine's folder, not the runtime's copy.
 */
function clientSource(client: RuntimeClient): HandOffSource {
  return {
    repository: async (id) => repositoryOf(id, (await client.retrieveSession(id)).resources, (r) => r.upload?.client_path ?? r.path),
    events: (id) => client.sessionEvents(id),
    changes: (id) => client.changes(id),
    readFile: (id, file, side) => client.readFile(id, file, side),
  };
}

async function askBranch(repo: string, draft: string): Promise<string | undefined> {
  const slug = subjectOf(draft).toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40).replace(/-+$/, '');
  return vscode.window.showInputBox({
    title: 'Hangar: Commit Changes to New Branch',
    prompt: 'Name of the new branch (your checkout stays as it is)',
    value: `hangar/${slug || 'changes'}`,
    validateInput: async (value) => {
      try {
        await checkBranchName(repo, value);
        return undefined;
      } catch (err) {
        if (err instanceof BranchError) return err.message;
        throw err;
      }
    },
  });
}

async function askSubject(draft: string): Promise<string | undefined> {
  const subject = await vscode.window.showInputBox({
    title: 'Hangar: Commit Changes to New Branch',
    prompt: "Commit message, first line (drafted from the task; the body keeps the agent's summary and the session id)",
    value: subjectOf(draft),
    validateInput: (value) => (value.trim() === '' ? 'The commit message needs a first line.' : undefined),
  });
  return subject === undefined ? undefined : withSubject(draft, subject);
}
