import * as vscode from 'vscode';
import * as z from 'zod';
import { MODEL_API_KEY } from '../../vault/types';
import { titleFrom } from '../format';
import type { Hangar } from '../hangar';
import { logUri } from '../log-document';
import { guarded, resolveSession } from './args';
import { pickAgent } from './agent-commands';
import { uploadWithProgress } from './file-commands';
import { workspaceWithProgress } from '../connection/workspace-progress';
import { defaultBudget } from './budget-commands';
import { readSettings } from '../config';
import { askRubric, firstEvent } from './rubric-step';

// Session lifecycle commands: start, open, send, interrupt, resume, delete, open the log, set the API key.

// `open`: where the new session shows (default `hangar.openSessionsIn`); `none` when the caller shows it itself.
// `files`: paths uploaded and mounted read-only in the new session (hangar.attachFiles' "new session").
const StartArgs = z.object({
  agentId: z.string().optional(),
  task: z.string().trim().min(1).max(100_000).optional(),
  folder: z.string().optional(),
  open: z.enum(['sideBar', 'editor', 'none']).optional(),
  files: z.array(z.string().min(1)).optional(),
  /** The task becomes an outcome graded against this rubric; absent with an asked task, the rubric step asks. */
  rubric: z.string().min(1).optional(),
});
const SendArgs = z.looseObject({ sessionId: z.string(), text: z.string().trim().min(1).max(100_000) });
const DeleteArgs = z.looseObject({ sessionId: z.string(), confirmed: z.literal(true) });
/** A sub-agent node of the tree opens its session on the thread's tab. */
const ThreadArg = z.looseObject({ sessionId: z.string(), threadId: z.string().min(1) });

export function registerSessionCommands(h: Hangar): vscode.Disposable[] {
  const reg = (id: string, run: (...args: unknown[]) => Promise<unknown>) => vscode.commands.registerCommand(id, guarded(h, id, run));
  return [
    reg('hangar.startAgent', (arg) => startAgent(h, arg)),
    reg('hangar.openSession', async (arg) => {
      const id = await resolveSession(h, arg, 'Open which session?');
      const thread = ThreadArg.safeParse(arg);
      if (id && thread.success) await h.panels.showThread(id, thread.data.threadId);
      else if (id) await h.panels.show(id);
      return id;
    }),
    reg('hangar.sendMessage', async (arg) => {
      const given = SendArgs.safeParse(arg);
      const id = given.success ? given.data.sessionId : await resolveSession(h, arg, 'Send a message to which session?');
      if (!id) return undefined;
      const text = given.success ? given.data.text : await vscode.window.showInputBox({ title: 'Hangar: Send Message', prompt: 'Steers a running session now, or starts its next turn', ignoreFocusOut: true });
      if (!text?.trim()) return undefined;
      await h.host.client.send(id, [{ type: 'user.message', content: [{ type: 'text', text }] }]);
      return id;
    }),
    reg('hangar.interrupt', async (arg) => {
      const id = (arg === undefined ? await shownRunning(h) : undefined) ?? await resolveSession(h, arg, 'Interrupt which session?', arg === undefined ? (v) => v.status === 'running' || v.status === 'rescheduling' : undefined);
      if (id) await h.host.client.send(id, [{ type: 'user.interrupt' }]);
      return id;
    }),
    reg('hangar.resume', async (arg) => {
      const id = await resolveSession(h, arg, 'Resume which session?');
      if (!id) return undefined;
      const driving = await h.host.client.resume(id);
      if (!driving) {
        void vscode.window.showWarningMessage(
          h.host.detached
            ? `Hangar: the detached runtime at ${h.host.client.where} is not running this session: its last turn ended (send a message to go on), or the runtime resumes it when it starts again.`
            : 'Hangar: another Hangar process (a CLI or another window) is driving this session; resume it there.',
        );
      }
      h.sessions.added(id);
      return id;
    }),
    reg('hangar.deleteSession', async (arg) => {
      const given = DeleteArgs.safeParse(arg);
      const id = given.success ? given.data.sessionId : await resolveSession(h, arg, 'Delete which session?');
      if (!id) return undefined;
      if (!given.success) {
        const view = await h.sessions.view(id);
        const answer = await vscode.window.showWarningMessage(
          `Delete session "${view.title}"?`,
          { modal: true, detail: 'Its event log and sandbox copy are removed. Changes you have not applied to the workspace are lost.' },
          'Delete',
        );
        if (answer !== 'Delete') return undefined;
      }
      h.panels.close(id);
      await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Hangar: deleting session' }, () => h.host.client.deleteSession(id));
      h.reviews.forget(id);
      h.sessions.removed(id);
      return id;
    }),
    reg('hangar.openLog', async (arg) => {
      const id = await resolveSession(h, arg, 'Open the log of which session?');
      if (!id) return undefined;
      const doc = await vscode.workspace.openTextDocument(logUri(id));
      await vscode.window.showTextDocument(doc, { preview: true });
      return id;
    }),
    reg('hangar.setApiKey', async (arg) => {
      const key = typeof arg === 'string' ? arg : await vscode.window.showInputBox({
        title: 'Hangar: Set API Key',
        prompt: 'Your Anthropic API key. It is kept in VS Code\'s secret storage, never in settings or files.',
        password: true,
        ignoreFocusOut: true,
        validateInput: (v) => apiKeyProblem(v),
      });
      if (key === undefined) return false;
      const problem = apiKeyProblem(key);
      if (problem) throw new Error(problem);
      await h.host.vault.set(MODEL_API_KEY, key.trim());
      void vscode.window.showInformationMessage('Hangar: API key saved in secret storage.');
      return true;
    }),
    reg('hangar.refresh', async () => {
      h.sessionsTree.refresh();
      h.agentsTree.refresh();
      h.memoryTree.refresh();
    }),
  ];
}

function apiKeyProblem(value: string): string | null {
  const v = value.trim();
  if (!v) return 'Enter a key.';
  if (/\s/.test(v)) return 'An API key has no spaces.';
  if (v.length > 512) return 'That is too long for an API key.';
  return null;
}

async function startAgent(h: Hangar, arg: unknown): Promise<string | undefined> {
  const given = StartArgs.safeParse(arg ?? {});
  const opts = given.success ? given.data : {};
  const folder = opts.folder ?? (await pickFolder());
  if (!folder) return undefined;
  const agentId = opts.agentId ?? (await pickAgent(h, 'Which agent should work on this repository?'));
  if (!agentId) return undefined;
  // The built-in provider needs the Anthropic key; a configured provider's model may need none (a local server). A
  // detached runtime holds its own key.
  if (!h.host.detached && !(await h.host.runtime.modelProviders.hasKey((await h.host.client.retrieveAgent(agentId)).model.id))) {
    const answer = await vscode.window.showWarningMessage('Hangar needs an Anthropic API key to run an agent.', 'Set API Key');
    if (answer !== 'Set API Key' || !(await vscode.commands.executeCommand<boolean>('hangar.setApiKey'))) return undefined;
  }
  const asked = opts.task === undefined ? await askTask(h, agentId) : { task: opts.task, rubric: false };
  const task = asked?.task;
  if (!task?.trim()) return undefined;
  // The rubric step, when the task box's rubric button asked for it; a caller that gives the task gives its rubric.
  const rubric = opts.rubric ?? (asked?.rubric ? await askRubric() : null);
  if (rubric === undefined) return undefined;
  const first = firstEvent(task, rubric);
  const session = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Hangar: starting the agent', cancellable: true }, async (progress, token) => {
    const files = await uploadWithProgress(h, opts.files ?? [], progress);
    const env = await h.host.environment();
    const client = h.host.client;
    const vaultIds = await h.host.vaultIds();
    const budget = defaultBudget(readSettings().defaultBudgetUsd);
    // Cancel stops the workspace's packing or upload; once it is on the runtime, the session starts.
    const repo = await workspaceWithProgress(client, folder, progress, token);
    if (!repo) return undefined;
    const s = await client.createSession({ agent: agentId, environment_id: env.id, title: titleFrom(task), resources: [repo, ...files], vault_ids: vaultIds, ...(budget ? { budget } : {}) });
    await client.send(s.id, [first]);
    return s;
  });
  if (!session) return undefined;
  h.sessions.added(session.id);
  if (opts.open !== 'none') await h.panels.show(session.id, opts.open);
  return session.id;
}

/**
 * The task, from a one-line input box; its buttons give a multi-line composer instead (the side-bar chat's empty
 * composer, where Enter starts the agent with what was written), or take the task and go on to the rubric step.
 */
async function askTask(h: Hangar, agentId: string): Promise<{ task: string; rubric: boolean } | undefined> {
  const box = vscode.window.createInputBox();
  box.title = 'Hangar: Start Agent';
  box.prompt = 'What should the agent do? (For a longer task, write it in the chat: the button above.)';
  box.placeholder = 'e.g. Fix the failing tests in src/math.js';
  box.ignoreFocusOut = true;
  const composer: vscode.QuickInputButton = { iconPath: new vscode.ThemeIcon('comment-discussion'), tooltip: 'Write a multi-line task in the chat' };
  const graded: vscode.QuickInputButton = { iconPath: new vscode.ThemeIcon('checklist'), tooltip: 'Grade the work against a rubric (the agent revises until a grader is satisfied)' };
  box.buttons = [composer, graded];
  const answer = await new Promise<{ task: string; rubric: boolean } | { compose: string } | undefined>((resolve) => {
    box.onDidAccept(() => resolve({ task: box.value, rubric: false }));
    box.onDidTriggerButton((b) => {
      if (b === composer) resolve({ compose: box.value });
      else if (box.value.trim()) resolve({ task: box.value, rubric: true });
      else box.validationMessage = 'Type the task first; the rubric says how it is graded.';
    });
    box.onDidHide(() => resolve(undefined));
    box.show();
  });
  box.dispose();
  if (answer && 'compose' in answer) await h.panels.chat.compose(agentId, answer.compose);
  return answer && 'task' in answer ? answer : undefined;
}

/** The running session the user is looking at (the focused tab or side-bar chat), for the Interrupt key. */
async function shownRunning(h: Hangar): Promise<string | undefined> {
  const id = h.panels.activeSessionId();
  if (!id) return undefined;
  const status = (await h.sessions.view(id)).status;
  return status === 'running' || status === 'rescheduling' ? id : undefined;
}

export async function pickFolder(): Promise<string | undefined> {
  const folders = vscode.workspace.workspaceFolders ?? [];
  if (folders.length === 0) {
    void vscode.window.showWarningMessage('Hangar: open a folder first; the agent works on a copy of it.');
    return undefined;
  }
  if (folders.length === 1) return folders[0]!.uri.fsPath;
  const pick = await vscode.window.showWorkspaceFolderPick({ placeHolder: 'Start the agent on which folder?' });
  return pick?.uri.fsPath;
}
