import * as vscode from 'vscode';
import * as z from 'zod';
import type { Hangar } from '../hangar';
import { costBudget, type BudgetLimit } from '../../wire';
import { formatCost } from '../../format/cost';
import { guarded, resolveSession } from './args';

// Session budgets in VS Code (issue #11 §3): new sessions get the `hangar.budget.defaultUsd` cap; a session that
// stops because its budget is spent raises one notification with Raise Budget; the command (palette, the
// notification, or {sessionId, usd} from another command or a test) sets a higher cap, and the held turn goes on.

export const RAISE_BUDGET_COMMAND = 'hangar.raiseBudget';
const RaiseArgs = z.looseObject({ sessionId: z.string().min(1), usd: z.number().positive() });

/** The budget of a session started now: the setting's, or none at 0. */
export function defaultBudget(usd: number): BudgetLimit | undefined {
  return usd > 0 ? costBudget(Math.round(usd * 100)) : undefined;
}

export function registerBudgetCommands(h: Hangar): vscode.Disposable[] {
  const notified = new Set<string>();
  return [
    vscode.commands.registerCommand(
      RAISE_BUDGET_COMMAND,
      guarded(h, RAISE_BUDGET_COMMAND, async (arg) => {
        const given = RaiseArgs.safeParse(arg);
        const sessionId = given.success ? given.data.sessionId : await resolveSession(h, arg, 'Raise the budget of which session?', (v) => v.stopReason?.type === 'budget_reached');
        if (!sessionId) return undefined;
        const usd = given.success ? given.data.usd : await askAmount(h, sessionId);
        if (usd === undefined) return undefined;
        const s = await h.host.client.setBudget(sessionId, costBudget(Math.round(usd * 100)));
        return s.budget;
      }),
    ),
    // One notification per stop: a panel in view shows the stop itself, but a stop out of sight must not go unseen.
    h.sessions.onEvent(({ sessionId, event }) => {
      if (event.type !== 'session.status_idle' || event.stop_reason.type !== 'budget_reached' || notified.has(event.id)) return;
      notified.add(event.id);
      void notify(h, sessionId);
    }),
  ];
}

async function notify(h: Hangar, sessionId: string): Promise<void> {
  const view = await h.sessions.view(sessionId);
  const answer = await vscode.window.showWarningMessage(`Hangar: "${view.title}" stopped: its budget is spent (${formatCost(view.costCents)} so far). Raise it to let the agent go on.`, 'Raise Budget');
  if (answer === 'Raise Budget') await vscode.commands.executeCommand(RAISE_BUDGET_COMMAND, { sessionId });
}

async function askAmount(h: Hangar, sessionId: string): Promise<number | undefined> {
  const s = await h.host.client.retrieveSession(sessionId);
  const spentCents = Number(s.usage.list_cost?.amount ?? 0);
  const cap = s.budget?.max_list_cost ? Number(s.budget.max_list_cost.amount) : 0;
  const value = await vscode.window.showInputBox({
    title: `Raise the budget of "${s.title ?? s.id}"`,
    prompt: `Spent ${formatCost(spentCents)}${cap ? ` of ${formatCost(cap)}` : ''}. New cap in US dollars:`,
    value: ((Math.max(cap, spentCents) * 2) / 100).toFixed(2),
    validateInput: (text) => {
      if (!/^\d+(\.\d{1,2})?$/.test(text.trim())) return 'Dollars, e.g. 5 or 12.50';
      return Number(text) * 100 > spentCents ? undefined : `More than the ${formatCost(spentCents)} already spent`;
    },
  });
  return value === undefined ? undefined : Number(value);
}
