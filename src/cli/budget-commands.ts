import type { Command } from 'commander';
import type { BudgetLimit, Session } from '../wire';
import { formatCost } from '../format/cost';
import { withRuntime, type Common } from './context';
import { EXIT } from './exit-codes';
import { UsageError } from './session-commands';
import { parseBudgetUsd } from './flag-parsers';

// Session budgets on the command line: `hangar run --budget 5` caps a new session at $5 of list-price spend (or
// $HANGAR_BUDGET_USD when the flag is left out), and `hangar budget ID 10` raises a spent budget so the held turn goes on.

/** The budget a new session from `hangar run` gets: the flag's, else $HANGAR_BUDGET_USD's, else none. */
export function runBudget(flag: BudgetLimit | undefined, env = process.env.HANGAR_BUDGET_USD): BudgetLimit | undefined {
  if (flag) return flag;
  if (!env) return undefined;
  try {
    return parseBudgetUsd(env);
  } catch (err) {
    // Not commander's error: that one is printed by commander, and this value did not come through it.
    throw new UsageError(`HANGAR_BUDGET_USD=${env}: ${(err as Error).message}`);
  }
}

export function describeBudget(b: BudgetLimit | null): string {
  if (!b) return 'no budget';
  const parts = [b.max_list_cost ? formatCost(Number(b.max_list_cost.amount)) : null, b.max_total_tokens !== undefined ? `${b.max_total_tokens} tokens` : null];
  return parts.filter(Boolean).join(' and ');
}

export function addBudgetCommand(program: Command, common: () => Common): void {
  program
    .command('budget')
    .description("show a session's budget, or change it: a raised (or removed, with none) budget lets a turn it held go on, followed like send")
    .argument('<session>')
    .argument('[dollars]', 'the new cap in dollars (above what the session has spent), or none')
    .option('-y, --yes', 'approve every tool call that asks in the turn that goes on')
    .action(async (id: string, dollars: string | undefined, o: { yes?: boolean }) => {
      const json = common().json === true;
      process.exitCode = await withRuntime(common(), { for: 'session', id, needsSandbox: dollars !== undefined }, async (rt) => {
        if (dollars === undefined) {
          print(await rt.sessions.retrieve(id), json);
          return EXIT.ok;
        }
        const budget = dollars === 'none' ? null : parseBudgetUsd(dollars);
        const held = (await rt.sessions.summary(await rt.sessions.record(id))).stopReason?.type === 'budget_reached';
        if (!held) {
          print(await rt.sessions.update(id, { budget }), json);
          return EXIT.ok;
        }
        // The update first (a refused one is a plain error), then the turn it let go on, from the events before it.
        const fromSeq = await rt.sessions.eventCount(id);
        print(await rt.sessions.update(id, { budget }), json);
        const { followTurn } = await import('./session-flow');
        return (await followTurn(rt, id, async () => undefined, { json, liveOutput: common().liveOutput === true, yes: o.yes === true, showDiff: true, continuesTurn: true, fromSeq })).code;
      });
    });
}

function print(s: Session, json: boolean): void {
  const spent = formatCost(Number(s.usage.list_cost?.amount ?? 0));
  if (json) process.stdout.write(`${JSON.stringify({ type: 'hangar.budget', session_id: s.id, budget: s.budget, usage: s.usage })}\n`);
  else process.stdout.write(`${s.id}: ${describeBudget(s.budget)}; spent ${spent}\n`);
}
