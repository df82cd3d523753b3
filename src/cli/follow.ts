import readline from 'node:readline/promises';
import type { Runtime } from '../runtime';
import { emptySummary, foldSummary, type SessionEvent, type SessionSummary, type StreamPreview } from '../wire';
import { paint, statusLine, summarizeInput } from './render';
import { ThreadLines } from './thread-lines';
import { toolLabel } from '../harness/permissions';
import { threadOf } from '../harness/threads/view';
import { eventPricing } from './thread-costs';
import { claimSignals } from './shutdown';
import { routeProgress } from './progress';

// Follows a session's log until its turn ends, printing events as they land, keeping a live status line on a
// terminal, and answering permission prompts (interactively, or all at once with --yes).

export interface FollowOptions {
  /** The first event printed and acted on. */
  fromSeq: number;
  /** Count the whole turn that fromSeq is in (confirm, resume), not only what follows fromSeq. */
  turnSummary?: boolean;
  json: boolean;
  /** With json: print each tool_output preview as a JSON line too (the user opted in; previews are not events). */
  liveOutput?: boolean;
  /** Ask on the terminal when a tool needs approval. */
  interactive: boolean;
  /** Approve every tool call without asking. */
  autoApprove: boolean;
  /** Keep following after the turn ends (events --follow). */
  forever?: boolean;
  /** Print only these events (one thread's: events --thread); the summary still counts them all. */
  where?: (e: SessionEvent) => boolean;
  /** Ends the follow (it rejects) when aborted: the turn it waits for will not come. */
  signal?: AbortSignal;
  out?: NodeJS.WriteStream;
}

export type FollowEnd = 'end_turn' | 'requires_action' | 'retries_exhausted' | 'budget_reached' | 'terminated' | 'interrupted';

export interface FollowResult {
  end: FollowEnd;
  summary: SessionSummary;
  pendingIds: string[];
}

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export async function follow(runtime: Runtime, sessionId: string, opts: FollowOptions): Promise<FollowResult> {
  const out = opts.out ?? process.stdout;
  const tty = out.isTTY === true && !opts.json;
  const p = paint(tty);
  const pricing = await eventPricing(runtime, sessionId);
  const lines = new ThreadLines(p, sessionId, await runtime.sessions.threads(sessionId), { single: opts.where !== undefined });
  const startedAt = Date.now();
  let summary = emptySummary();
  let frame = 0;
  let statusShown = false;
  let paused = false;
  let activity = '';
  /** The last line a running command printed (a terminal only; --json and pipes get the events alone). */
  let liveLine = '';
  const clearStatus = () => {
    if (statusShown) out.write('\r\x1b[2K');
    statusShown = false;
  };
  const drawStatus = () => {
    if (!tty || paused) return;
    clearStatus();
    const line = `${statusLine(summary, startedAt, SPINNER[frame++ % SPINNER.length] ?? '')}${activity ? ` · ${activity}` : ''}${liveLine ? ` · ${liveLine}` : ''}`;
    // A line wider than the terminal would wrap, and the next redraw could no longer erase it.
    out.write(p('dim', out.columns && line.length >= out.columns ? `${line.slice(0, out.columns - 2)}…` : line));
    statusShown = true;
  };
  // While a question waits for an answer the status line stays away: redrawing it would erase the question.
  const pauseStatus = () => {
    paused = true;
    clearStatus();
  };
  const resumeStatus = () => {
    paused = false;
    drawStatus();
  };
  const timer = tty ? setInterval(drawStatus, 120) : null;
  const unrouteProgress = tty ? routeProgress((m) => (activity = m)) : () => undefined;
  const pendingUses = new Map<string, SessionEvent>();
  let interrupts = 0;
  // The first Ctrl-C interrupts the session and waits for it to go idle; a second one (or SIGTERM) leaves.
  const releaseSignals = claimSignals((signal) => {
    if (signal !== 'SIGINT' || interrupts > 0) return false;
    interrupts += 1;
    clearStatus();
    out.write(p('yellow', '\nInterrupting… (Ctrl-C again to leave; resume continues the session later)\n'));
    void runtime.sessions.send(sessionId, [{ type: 'user.interrupt' }]).catch(() => undefined);
    return true;
  });

  let subscription: Promise<() => void> | undefined;
  try {
    return await new Promise<FollowResult>((resolve, reject) => {
      let busy = Promise.resolve();
      const handle = async (e: SessionEvent, seq: number) => {
        // Before fromSeq only the current turn counts: each earlier user message starts the count afresh.
        summary = foldSummary(seq < opts.fromSeq && e.type === 'user.message' ? emptySummary() : summary, e, pricing);
        if (e.type === 'agent.tool_use' || e.type === 'agent.mcp_tool_use' || e.type === 'agent.custom_tool_use') pendingUses.set(e.id, e);
        if (seq < opts.fromSeq || (opts.where && !opts.where(e))) return;
        activity = '';
        liveLine = '';
        if (opts.json) out.write(`${JSON.stringify(e)}\n`);
        else {
          const line = lines.render(e);
          if (line) {
            clearStatus();
            out.write(`${line}\n`);
            drawStatus();
          }
        }
        if (opts.forever) return;
        if (e.type === 'session.status_terminated') return resolve({ end: 'terminated', summary, pendingIds: [] });
        if (e.type !== 'session.status_idle') return;
        const reason = e.stop_reason;
        if (reason.type === 'requires_action') {
          pauseStatus();
          const answered = await answer(runtime, sessionId, reason.event_ids, pendingUses, lines, opts).finally(resumeStatus);
          if (!answered) resolve({ end: 'requires_action', summary, pendingIds: reason.event_ids });
          return;
        }
        const end = interrupts > 0 ? 'interrupted' : reason.type === 'retries_exhausted' || reason.type === 'budget_reached' ? reason.type : 'end_turn';
        resolve({ end, summary, pendingIds: [] });
      };
      const onPreview = (preview: StreamPreview) => {
        if (preview.type !== 'tool_output') return;
        // Behind the events queued before it, so a preview never comes before its tool_use line.
        if (opts.json) busy = busy.then(() => void out.write(`${JSON.stringify(preview)}\n`));
        else liveLine = preview.binary ? '(binary output)' : lastLine(preview.tail);
      };
      subscription = runtime.sessions.subscribe(
        sessionId,
        opts.turnSummary ? 0 : opts.fromSeq,
        (e, seq) => {
          busy = busy.then(() => handle(e, seq)).catch(reject);
        },
        tty || (opts.json && opts.liveOutput) ? onPreview : undefined,
      );
      subscription.catch(reject);
      // Aborted already (a start that failed while the follower was still setting up): an abort event would not come.
      const stopped = () => reject(new Error('stopped following: the turn did not start'));
      if (opts.signal?.aborted) stopped();
      else opts.signal?.addEventListener('abort', stopped, { once: true });
    });
  } finally {
    (await subscription?.catch(() => undefined))?.();
    if (timer) clearInterval(timer);
    clearStatus();
    unrouteProgress();
    releaseSignals();
  }
}

/** The last line with something on it, control characters shown as spaces (they would move the cursor). */
function lastLine(tail: string): string {
  const lines = tail.split('\n').filter((l) => l.trim());
  // eslint-disable-next-line no-control-regex
  return (lines.at(-1) ?? '').replace(/[\x00-\x1f\x7f-\x9f]/g, ' ').trim();
}

async function answer(
  runtime: Runtime,
  sessionId: string,
  ids: readonly string[],
  uses: Map<string, SessionEvent>,
  lines: ThreadLines,
  opts: FollowOptions,
): Promise<boolean> {
  const confirmable = ids.filter((id) => uses.get(id)?.type !== 'agent.custom_tool_use');
  if (confirmable.length === 0) return false;
  if (opts.autoApprove) {
    await runtime.sessions.send(sessionId, confirmable.map((id) => ({ type: 'user.tool_confirmation' as const, tool_use_id: id, result: 'allow' as const })));
    return true;
  }
  if (!opts.interactive) return false;
  const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
  // "Allow for this session" also runs the calls of that tool waiting in the same thread: they are not asked again.
  const answered = new Set<string>();
  try {
    const queue = [...confirmable];
    for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
      if (answered.has(id)) continue;
      const use = uses.get(id);
      const who = use ? lines.agentOf(use) : null;
      const what = use && 'name' in use && 'input' in use ? `${who ? `${who}: ` : ''}${use.name} ${summarizeInput(use.name, use.input)}` : id;
      const a = (await rl.question(`Allow ${what}? [y]es / [a]lways in this session / [n]o: `)).trim().toLowerCase();
      if (a === 'y' || a === 'yes') await runtime.sessions.send(sessionId, [{ type: 'user.tool_confirmation', tool_use_id: id, result: 'allow' }]);
      else if (a === 'a' || a === 'always') {
        try {
          const allowed = await runtime.permissions.allowCall(sessionId, id);
          for (const other of confirmable) if (sameCall(uses.get(other), use)) answered.add(other);
          process.stdout.write(`Allowed ${toolLabel(allowed.tool)} for the rest of the session${who ? ` for ${who}` : ''}.\n`);
        } catch (err) {
          // Refused (say, the coordinator's tools while a sub-agent runs): the call is asked again, for itself only.
          process.stdout.write(`${err instanceof Error ? err.message : String(err)}\n`);
          queue.unshift(id);
        }
      } else {
        const why = (await rl.question('Reason for the agent (optional): ')).trim();
        await runtime.sessions.send(sessionId, [{ type: 'user.tool_confirmation', tool_use_id: id, result: 'deny', ...(why ? { deny_message: why } : {}) }]);
      }
    }
  } finally {
    rl.close();
  }
  return true;
}

/** Two waiting calls of one tool in one thread: "allow for this session" answers both. */
function sameCall(a: SessionEvent | undefined, b: SessionEvent | undefined): boolean {
  if (!a || !b || !('name' in a) || !('name' in b)) return false;
  const server = (e: SessionEvent) => ('mcp_server_name' in e ? e.mcp_server_name : undefined);
  return a.name === b.name && server(a) === server(b) && threadOf(a) === threadOf(b);
}
