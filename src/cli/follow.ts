import readline from 'node:readline/promises';
import type { Runtime } from '../runtime';
import { emptySummary, foldSummary, type SessionEvent, type SessionSummary } from '../wire';
import { paint, renderEvent, statusLine, summarizeInput } from './render';

// Follows a session's log until its turn ends, printing events as they land, keeping a live status line on a
// terminal, and answering permission prompts (interactively, or all at once with --yes).

export interface FollowOptions {
  fromSeq: number;
  json: boolean;
  /** Ask on the terminal when a tool needs approval. */
  interactive: boolean;
  /** Approve every tool call without asking. */
  autoApprove: boolean;
  /** Keep following after the turn ends (events --follow). */
  forever?: boolean;
  out?: NodeJS.WriteStream;
}

export type FollowEnd = 'end_turn' | 'requires_action' | 'retries_exhausted' | 'terminated' | 'interrupted';

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
  const model = (await runtime.sessions.record(sessionId)).agent.model.id;
  const startedAt = Date.now();
  let summary = emptySummary();
  let frame = 0;
  let statusShown = false;
  const clearStatus = () => {
    if (statusShown) out.write('\r\x1b[2K');
    statusShown = false;
  };
  const drawStatus = () => {
    if (!tty) return;
    clearStatus();
    out.write(p('dim', statusLine(summary, startedAt, SPINNER[frame++ % SPINNER.length] ?? '')));
    statusShown = true;
  };
  const timer = tty ? setInterval(drawStatus, 120) : null;
  const pendingUses = new Map<string, SessionEvent>();
  let interrupts = 0;
  const onSigint = () => {
    interrupts += 1;
    if (interrupts > 1) process.exit(130);
    clearStatus();
    out.write(p('yellow', '\nInterrupting… (Ctrl-C again to leave; `hangar resume` continues later)\n'));
    void runtime.sessions.send(sessionId, [{ type: 'user.interrupt' }]).catch(() => undefined);
  };
  process.on('SIGINT', onSigint);

  let subscription: Promise<() => void> | undefined;
  try {
    return await new Promise<FollowResult>((resolve, reject) => {
      let busy = Promise.resolve();
      const handle = async (e: SessionEvent) => {
        summary = foldSummary(summary, e, model);
        if (opts.json) out.write(`${JSON.stringify(e)}\n`);
        else {
          const line = renderEvent(e, p);
          if (line) {
            clearStatus();
            out.write(`${line}\n`);
            drawStatus();
          }
        }
        if (e.type === 'agent.tool_use' || e.type === 'agent.mcp_tool_use' || e.type === 'agent.custom_tool_use') pendingUses.set(e.id, e);
        if (opts.forever) return;
        if (e.type === 'session.status_terminated') return resolve({ end: 'terminated', summary, pendingIds: [] });
        if (e.type !== 'session.status_idle') return;
        const reason = e.stop_reason;
        if (reason.type === 'requires_action') {
          const answered = await answer(runtime, sessionId, reason.event_ids, pendingUses, opts, () => clearStatus());
          if (!answered) resolve({ end: 'requires_action', summary, pendingIds: reason.event_ids });
          return;
        }
        resolve({ end: interrupts > 0 ? 'interrupted' : reason.type === 'retries_exhausted' ? 'retries_exhausted' : 'end_turn', summary, pendingIds: [] });
      };
      subscription = runtime.sessions.subscribe(sessionId, opts.fromSeq, (e) => {
        busy = busy.then(() => handle(e)).catch(reject);
      });
      subscription.catch(reject);
    });
  } finally {
    (await subscription?.catch(() => undefined))?.();
    if (timer) clearInterval(timer);
    clearStatus();
    process.off('SIGINT', onSigint);
  }
}

async function answer(
  runtime: Runtime,
  sessionId: string,
  ids: readonly string[],
  uses: Map<string, SessionEvent>,
  opts: FollowOptions,
  clear: () => void,
): Promise<boolean> {
  const confirmable = ids.filter((id) => uses.get(id)?.type !== 'agent.custom_tool_use');
  if (confirmable.length === 0) return false;
  if (opts.autoApprove) {
    await runtime.sessions.send(sessionId, confirmable.map((id) => ({ type: 'user.tool_confirmation' as const, tool_use_id: id, result: 'allow' as const })));
    return true;
  }
  if (!opts.interactive) return false;
  clear();
  const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
  try {
    for (const id of confirmable) {
      const use = uses.get(id);
      const what = use && 'name' in use && 'input' in use ? `${use.name} ${summarizeInput(use.name, use.input)}` : id;
      const a = (await rl.question(`Allow ${what}? [y]es / [n]o: `)).trim().toLowerCase();
      if (a === 'y' || a === 'yes') await runtime.sessions.send(sessionId, [{ type: 'user.tool_confirmation', tool_use_id: id, result: 'allow' }]);
      else {
        const why = (await rl.question('Reason for the agent (optional): ')).trim();
        await runtime.sessions.send(sessionId, [{ type: 'user.tool_confirmation', tool_use_id: id, result: 'deny', ...(why ? { deny_message: why } : {}) }]);
      }
    }
  } finally {
    rl.close();
  }
  return true;
}
