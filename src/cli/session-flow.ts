import type { Runtime } from '../runtime';
import { applyChanges } from '../review/apply';
import { readApplied } from '../review/applied';
import { paint, formatSummary, type Paint } from './render';
import { follow, type FollowResult } from './follow';
import { EXIT } from './exit-codes';
import { sessionDir } from './context';
import { cliHint } from './invocation';
import { CONFIRM_HINT } from './session-commands';

// Shared by run, demo, send, resume and confirm: start the work, follow it to the end of the turn, then show the diff
// and the numbers, and return the exit code.

export interface FlowOptions {
  json: boolean;
  /** With json: print tool_output previews too. */
  liveOutput?: boolean;
  yes: boolean;
  showDiff: boolean;
  /** Print the apply hint under the diff (not in the demo, which applies by itself). */
  applyHint?: boolean;
  /** Print and act on events from here (run: 0, so what happened at creation, such as MCP errors, shows too). */
  fromSeq?: number;
  /** The work continues a turn (confirm, resume): the summary counts the whole turn, not only what follows. */
  continuesTurn?: boolean;
}

export async function followTurn(runtime: Runtime, sessionId: string, start: () => Promise<unknown>, opts: FlowOptions): Promise<{ code: number; result: FollowResult }> {
  const startedAt = Date.now();
  const fromSeq = opts.fromSeq ?? (await runtime.sessions.eventCount(sessionId));
  const stop = new AbortController();
  const following = follow(runtime, sessionId, { fromSeq, turnSummary: opts.continuesTurn === true, json: opts.json, liveOutput: opts.liveOutput, interactive: process.stdin.isTTY === true && !opts.json, autoApprove: opts.yes, signal: stop.signal });
  // A failed start (a refused message) must not leave the follower waiting for a turn that never comes: its
  // subscription would keep the process alive after the error is printed.
  const started = start();
  try {
    await Promise.race([started, following]);
    await started;
  } catch (err) {
    stop.abort();
    await following.catch(() => undefined);
    throw err;
  }
  const result = await following;
  const p = paint(process.stdout.isTTY === true && !opts.json);
  if (!opts.json) {
    if (opts.showDiff) await printDiff(runtime, sessionId, p, opts.applyHint ?? true);
    process.stdout.write(`${p('bold', 'Summary')}  ${formatSummary(result.summary, Date.now() - startedAt)}\n`);
    if (result.end === 'budget_reached') {
      process.stdout.write(p('yellow', `The session's budget is spent; its turn waits. Raise it with: ${cliHint('budget', sessionId)} <dollars>\n`));
    }
    if (result.end === 'requires_action') {
      process.stdout.write(p('yellow', `A tool call waits for approval. Answer with: ${cliHint('confirm', sessionId, result.pendingIds[0] ?? '<tool_use_id>')} ${CONFIRM_HINT} (or rerun with --yes)\n`));
    }
  } else {
    process.stdout.write(`${JSON.stringify({ type: 'hangar.summary', session_id: sessionId, end: result.end, summary: result.summary })}\n`);
  }
  return { code: exitFor(result), result };
}

/** The session's diff under a heading that says whether (and when) it reached the repository. */
export async function printDiff(runtime: Runtime, sessionId: string, p: Paint, applyHint = true): Promise<void> {
  const changes = await runtime.sessions.changes(sessionId);
  if (changes.files.length === 0) {
    process.stdout.write(p('dim', '\nNo changes in the sandbox.\n'));
    return;
  }
  const state = await appliedState(runtime, sessionId);
  const count = `${changes.files.length} file${changes.files.length === 1 ? '' : 's'}`;
  const heading =
    state.kind === 'applied'
      ? `Changes (${count}) — applied to ${state.repo} at ${state.at}:`
      : state.kind === 'partly'
        ? `Changes (${count}) — applied to ${state.repo} at ${state.at}; the session changed ${state.pending.join(', ')} since:`
        : `Changes (${count}) — nothing has touched your repository yet:`;
  process.stdout.write(`\n${p('bold', heading)}\n`);
  printPatch(changes.patch, p);
  if (applyHint && state.kind !== 'applied') process.stdout.write(p('bold', `Apply with: ${cliHint('apply', sessionId)}\n`));
}

/** A unified diff, coloured line by line. */
export function printPatch(patch: string, p: Paint): void {
  for (const line of patch.split('\n')) {
    const style = line.startsWith('+') && !line.startsWith('+++') ? 'green' : line.startsWith('-') && !line.startsWith('---') ? 'red' : line.startsWith('@@') ? 'cyan' : 'dim';
    process.stdout.write(`${p(style, line)}\n`);
  }
}

export type AppliedState = { kind: 'not-applied' } | { kind: 'applied'; repo: string; at: string } | { kind: 'partly'; repo: string; at: string; pending: string[] };

/** Whether `apply` landed the session's current changes: its record, checked against the repository as it is now. */
export async function appliedState(runtime: Runtime, sessionId: string): Promise<AppliedState> {
  const applied = await readApplied(sessionDir(runtime, sessionId));
  if (!applied) return { kind: 'not-applied' };
  const changes = await runtime.sessions.changes(sessionId);
  const plan = await applyChanges(applied.repository, changes, (f, side) => runtime.sessions.readFile(sessionId, f, side), { previous: applied.files, dryRun: true });
  const pending = [...plan.applied, ...plan.conflicts.map((c) => c.path)];
  return pending.length === 0 ? { kind: 'applied', repo: applied.repository, at: applied.applied_at } : { kind: 'partly', repo: applied.repository, at: applied.applied_at, pending };
}

function exitFor(r: FollowResult): number {
  switch (r.end) {
    case 'end_turn':
      return EXIT.ok;
    case 'requires_action':
      return EXIT.needsAction;
    case 'interrupted':
      return EXIT.interrupted;
    case 'budget_reached':
      return EXIT.budgetReached;
    default:
      return EXIT.sessionFailed;
  }
}
