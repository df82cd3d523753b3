import type { Runtime } from '../runtime';
import { applyChanges } from '../review/apply';
import { readApplied, recordApplied } from '../review/applied';
import { withRuntime, sessionDir, type Common } from './context';
import { followTurn, printDiff } from './session-flow';
import { follow } from './follow';
import { paint } from './render';
import { threadCosts } from './thread-costs';
import { ThreadLines, threadTable } from './thread-lines';
import { inThread } from '../runtime/threads';
import type { SessionEvent } from '../wire';
import { toolLabel, type ToolRef } from '../harness/permissions';
import { sessionRepository } from '../wire/session-repository';
import { EXIT } from './exit-codes';
import { applyToBranch, type BranchFlags } from './branch-command';
import { cliHint } from './invocation';
import { onRuntime } from './remote-flags';
import { CONFIRM_HINT, UsageError, type ConfirmAnswer } from './session-commands';

// What the commands on one existing session do (session-commands.ts defines them): loaded when one of them runs, so
// `hangar sessions` and --help compile none of it. Each opens the session with the sandbox provider it was created with.

const on = (c: Common, id: string, needsSandbox: boolean, fn: (rt: Runtime) => Promise<number>) => withRuntime(c, { for: 'session', id, needsSandbox }, fn);
const flow = (c: Common) => ({ json: c.json === true, liveOutput: c.liveOutput === true });

/**
 * The events of `hangar events` that need a runtime: --follow, or one thread (--thread). The whole log is printed by
 * events-command.ts from the stored log, without one.
 */
export function runtimeEvents(c: Common, id: string, o: { follow?: boolean; thread?: string }): Promise<number> {
  return on(c, id, false, async (rt) => {
    const where = o.thread === undefined ? undefined : await threadFilter(rt, id, o.thread);
    if (o.follow) {
      await follow(rt, id, { fromSeq: 0, ...flow(c), interactive: false, autoApprove: false, forever: true, where });
      return EXIT.ok;
    }
    // JSON lines need no thread names, so the log is not folded for them.
    const lines = c.json === true ? null : new ThreadLines(paint(process.stdout.isTTY === true), id, await rt.sessions.threads(id), { single: where !== undefined });
    for (let page: string | undefined; ; ) {
      const res = await rt.sessions.listEvents(id, { limit: 1000, page, where });
      // One write per page: a write per event costs a system call each, most of the time of a long log.
      let text = '';
      for (const e of res.data) {
        const line = lines ? lines.render(e) : JSON.stringify(e);
        if (line !== null) text += `${line}\n`;
      }
      if (text) process.stdout.write(text);
      if (!res.next_page) return EXIT.ok;
      page = res.next_page;
    }
  });
}

export function listThreads(c: Common, id: string): Promise<number> {
  return on(c, id, false, async (rt) => {
    const threads = await threadCosts(rt, id);
    if (c.json === true) for (const { thread } of threads) process.stdout.write(`${JSON.stringify(thread)}\n`);
    else for (const line of threadTable(threads)) process.stdout.write(`${line}\n`);
    return EXIT.ok;
  });
}

export function sendMessage(c: Common, id: string, text: string, o: { yes?: boolean; thread?: string }): Promise<number> {
  const thread = o.thread === undefined ? {} : { session_thread_id: o.thread };
  const message = { type: 'user.message' as const, content: [{ type: 'text' as const, text }], ...thread };
  return on(c, id, true, async (rt) => (await followTurn(rt, id, () => rt.sessions.send(id, [message]), { ...flow(c), yes: o.yes === true, showDiff: true })).code);
}

export function resumeSession(c: Common, id: string, o: { yes?: boolean }): Promise<number> {
  return on(c, id, true, (rt) => resume(rt, id, { ...flow(c), yes: o.yes === true }));
}

export function interruptSession(c: Common, id: string): Promise<number> {
  return on(c, id, false, async (rt) => (await rt.sessions.send(id, [{ type: 'user.interrupt' }]), EXIT.ok));
}

export function deleteSession(c: Common, id: string): Promise<number> {
  return on(c, id, false, async (rt) => {
    await rt.deleteSession(id);
    if (c.json !== true) process.stdout.write(`Deleted ${id}.\n`);
    return EXIT.ok;
  });
}

export function confirmCall(c: Common, id: string, toolUseId: string, answer: ConfirmAnswer, o: { message?: string; thread?: string }): Promise<number> {
  return on(c, id, true, async (rt) => {
    if (answer === 'allow-for-session') {
      // Allowed before following (from the log's end as it was), so a refusal is a plain error, not a turn.
      const fromSeq = await rt.sessions.eventCount(id);
      const allowed = await rt.permissions.allowCall(id, toolUseId, o.thread);
      if (c.json !== true) process.stdout.write(`${allowedLine(allowed.tool, allowed.thread)}\n`);
      return (await followTurn(rt, id, async () => undefined, { ...flow(c), yes: false, showDiff: true, continuesTurn: true, fromSeq })).code;
    }
    if (o.thread !== undefined) await threadFilter(rt, id, o.thread);
    const confirm = () => rt.sessions.send(id, [{ type: 'user.tool_confirmation', tool_use_id: toolUseId, result: answer, ...(answer === 'deny' && o.message ? { deny_message: o.message } : {}) }]);
    return (await followTurn(rt, id, confirm, { ...flow(c), yes: false, showDiff: true, continuesTurn: true })).code;
  });
}

export function forkSession(c: Common, id: string, o: { at?: string; title?: string }): Promise<number> {
  return on(c, id, true, async (rt) => {
    const forked = await rt.sessions.fork(id, o);
    if (c.json === true) process.stdout.write(`${JSON.stringify(forked)}\n`);
    else {
      // A fork is not woken (session-fork.ts): a turn it cut goes on when the user resumes it.
      const cut = forked.status === 'running' ? ` It was cut in the middle of a turn; finish that turn with: ${cliHint('resume', forked.id)}` : '';
      process.stdout.write(`Forked ${id}${o.at ? ` at ${o.at}` : ''} into ${forked.id} (${forked.status}). Continue it with: ${cliHint('send', forked.id, 'your message')}${cut}\n`);
    }
    return EXIT.ok;
  });
}

export async function showDiff(c: Common, id: string): Promise<number> {
  const json = c.json === true;
  return (
    (await onRuntime(c, async (client) => (await import('./remote')).remoteDiff(client, id, json))) ??
    (await on(c, id, true, async (rt) => {
      if (json) process.stdout.write(`${JSON.stringify({ ...(await rt.sessions.changes(id)), applied: await readApplied(sessionDir(rt, id)) })}\n`);
      else await printDiff(rt, id, paint(process.stdout.isTTY === true));
      return EXIT.ok;
    }))
  );
}

export function applySession(c: Common, id: string, o: BranchFlags): Promise<number> {
  const json = c.json === true;
  return on(c, id, true, (rt) => (o.branch === undefined ? apply(rt, id, json) : applyToBranch(rt, id, { ...o, branch: o.branch }, json)));
}

async function resume(rt: Runtime, id: string, opts: { json: boolean; liveOutput: boolean; yes: boolean }): Promise<number> {
  const record = await rt.sessions.record(id);
  const count = await rt.sessions.eventCount(id);
  const s = await rt.sessions.summary(record);
  const say = (code: number, text: string) => {
    if (opts.json) process.stdout.write(`${JSON.stringify({ type: 'hangar.resume', session_id: id, status: s.status, stop_reason: s.stopReason, message: text })}\n`);
    else process.stdout.write(`${text}\n`);
    return code;
  };
  if (count === 0) return say(EXIT.ok, `Session ${id} has not started: it has no message yet. Start it with: ${cliHint('send', id, 'your task')}`);
  if (s.status === 'terminated') return say(EXIT.sessionFailed, `Session ${id} is terminated; it cannot continue.`);
  if (s.status === 'idle' && s.stopReason?.type === 'requires_action') {
    const ids = s.stopReason.event_ids;
    return say(EXIT.needsAction, `Session ${id} waits for approval of ${ids.length} tool call(s). Answer with: ${cliHint('confirm', id, ids[0] ?? '<tool_use_id>')} ${CONFIRM_HINT}`);
  }
  if (s.status === 'idle' && !s.turnAsked) {
    return say(EXIT.ok, `Session ${id} is idle (its last turn ended: ${s.stopReason?.type ?? 'end_turn'}); there is nothing to resume. Continue it with: ${cliHint('send', id, 'your message')}`);
  }
  return (await followTurn(rt, id, () => rt.sessions.wake(id), { json: opts.json, liveOutput: opts.liveOutput, yes: opts.yes, showDiff: true, continuesTurn: true })).code;
}

async function apply(rt: Runtime, id: string, json: boolean): Promise<number> {
  const p = paint(process.stdout.isTTY === true);
  const record = await rt.sessions.record(id);
  const repo = sessionRepository(record.resources)?.path;
  if (!repo) throw new Error(`session ${id} has no repository to apply to`);
  const dir = sessionDir(rt, id);
  const before = await readApplied(dir);
  const changes = await rt.sessions.changes(id);
  const result = await applyChanges(repo, changes, (f, side) => rt.sessions.readFile(id, f, side), { previous: before?.files });
  const applied = result.conflicts.length === 0 && result.applied.length > 0 ? await recordApplied(dir, repo, result.written) : before;
  if (json) process.stdout.write(`${JSON.stringify({ applied: result.applied, already: result.already, conflicts: result.conflicts, applied_at: applied?.applied_at ?? null })}\n`);
  if (result.conflicts.length > 0) {
    if (!json) {
      const pe = paint(process.stderr.isTTY === true);
      process.stderr.write(pe('red', `Not applied: ${result.conflicts.length} path(s) of ${repo} do not hold what the session started from:\n`));
      for (const c of result.conflicts) process.stderr.write(pe('red', `  ${c.path}: ${c.reason}\n`));
      process.stderr.write(`Nothing was written. Review hunk by hunk in VS Code (Hangar: Review Changes), or revert those files and run ${cliHint('apply', id)} again.\n`);
    }
    return EXIT.conflict;
  }
  if (json) return EXIT.ok;
  if (changes.files.length === 0) process.stdout.write('No changes in the sandbox; nothing to apply.\n');
  else if (result.applied.length === 0) process.stdout.write(p('green', `Already applied: ${repo} holds all ${result.already.length} change(s) of session ${id}${before ? ` (applied at ${before.applied_at})` : ''}.\n`));
  else {
    process.stdout.write(p('green', `Applied ${result.applied.length} file(s) to ${repo}:\n`));
    for (const f of result.applied) process.stdout.write(`  ${f}\n`);
    if (result.already.length > 0) process.stdout.write(p('dim', `${result.already.length} more already held the session's version.\n`));
  }
  return EXIT.ok;
}

/** Which events belong to one thread of the session; an id the session does not have is a usage error naming those it has. */
async function threadFilter(rt: Runtime, id: string, threadId: string): Promise<(e: SessionEvent) => boolean> {
  const threads = await rt.sessions.threads(id);
  if (!threads.some((t) => t.id === threadId)) {
    const known = threads.map((t) => `${t.id} (${t.agent.name}${t.parent_thread_id === null ? ', primary' : ''})`).join(', ');
    throw new UsageError(`Session ${id} has no thread ${threadId}. Its threads: ${known}.`);
  }
  return inThread(threadId, id);
}

/** What `hangar confirm … allow-for-session` did, in a line. */
function allowedLine(tool: ToolRef, thread: string | null): string {
  return `Allowed ${toolLabel(tool)} for the rest of the session${thread ? ` for the sub-agent of thread ${thread}` : ''}; the call runs.`;
}
