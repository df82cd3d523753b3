import * as vscode from 'vscode';
import * as z from 'zod';
import type { Session, SessionEvent } from '../../wire';
import type { Hangar } from '../hangar';
import { guarded, resolveSession } from './args';

// Hangar: Fork Session…: a new session from one of a session's turns (runtime/session-fork.ts: its log up to the
// chosen event, the files of its checkpoint there in a sandbox of its own), opened in its panel; like the CLI's and the
// API's fork it is not woken, and the user's next message continues it. From the palette or the Sessions view the user
// picks where (the end of a turn, newest first); a caller passes {sessionId, at} to skip the pick.

const Given = z.looseObject({ at: z.string().min(1).optional() });

export function registerForkCommands(h: Hangar): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand(
      'hangar.forkSession',
      guarded(h, 'hangar.forkSession', async (arg?: unknown): Promise<Session | undefined> => {
        const id = await resolveSession(h, arg, 'Fork which session?');
        if (!id) return undefined;
        const client = h.host.client;
        const at = Given.safeParse(arg).data?.at ?? (await pickPoint(await client.sessionEvents(id, ['agent.message', 'session.status_idle'])));
        if (at === undefined) return undefined;
        const forked = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Hangar: forking the session' }, () =>
          client.fork(id, at === END ? {} : { at }),
        );
        await h.panels.show(forked.id);
        return forked;
      }),
    ),
  ];
}

const END = '';

/** Where to fork: the end of each finished turn (an idle, named by the agent's last words before it), or all of it. */
async function pickPoint(events: readonly SessionEvent[]): Promise<string | undefined> {
  const points: { label: string; description: string; at: string }[] = [];
  let said = '';
  let turn = 0;
  for (const e of events) {
    if (e.type === 'agent.message') said = e.content.flatMap((b) => (b.type === 'text' ? [b.text] : [])).join(' ');
    if (e.type === 'session.status_idle') points.push({ label: `After turn ${++turn}`, description: said.slice(0, 100), at: e.id });
  }
  const items = [{ label: 'Everything so far', description: 'the whole conversation and the files of its last step', at: END }, ...points.reverse()];
  const pick = await vscode.window.showQuickPick(items, { placeHolder: 'Fork from which point? The new session gets the conversation up to there and its own sandbox.' });
  return pick?.at;
}
