import type { Runtime } from '../runtime';
import { paint, formatSummary } from './render';
import { follow, type FollowResult } from './follow';
import { EXIT } from './exit-codes';

// Shared by run, demo, send and resume: send (optionally), follow to the end of the turn, then show the diff and
// the numbers, and return the exit code.

export interface FlowOptions {
  json: boolean;
  yes: boolean;
  showDiff: boolean;
  /** Print the `hangar apply` hint under the diff (not in the demo, which applies by itself). */
  applyHint?: boolean;
}

export async function followTurn(runtime: Runtime, sessionId: string, text: string | null, opts: FlowOptions): Promise<{ code: number; result: FollowResult }> {
  const startedAt = Date.now();
  const fromSeq = await runtime.sessions.eventCount(sessionId);
  const following = follow(runtime, sessionId, { fromSeq, json: opts.json, interactive: process.stdin.isTTY === true && !opts.json, autoApprove: opts.yes });
  if (text !== null) await runtime.sessions.send(sessionId, [{ type: 'user.message', content: [{ type: 'text', text }] }]);
  else await runtime.sessions.wake(sessionId);
  const result = await following;
  const p = paint(process.stdout.isTTY === true && !opts.json);
  if (!opts.json) {
    if (opts.showDiff) await printDiff(runtime, sessionId, p, opts.applyHint ?? true);
    process.stdout.write(`${p('bold', 'Summary')}  ${formatSummary(result.summary, Date.now() - startedAt)}\n`);
    if (result.end === 'requires_action') {
      process.stdout.write(p('yellow', `A tool call waits for approval. Answer with: hangar confirm ${sessionId} ${result.pendingIds[0] ?? '<tool_use_id>'} allow|deny (or rerun with --yes)\n`));
    }
  } else {
    process.stdout.write(`${JSON.stringify({ type: 'hangar.summary', session_id: sessionId, end: result.end, summary: result.summary })}\n`);
  }
  return { code: exitFor(result), result };
}

export async function printDiff(runtime: Runtime, sessionId: string, p: ReturnType<typeof paint>, applyHint = true): Promise<void> {
  const changes = await runtime.sessions.changes(sessionId);
  if (changes.files.length === 0) {
    process.stdout.write(p('dim', '\nNo changes in the sandbox.\n'));
    return;
  }
  process.stdout.write(`\n${p('bold', `Changes (${changes.files.length} file${changes.files.length === 1 ? '' : 's'}) — nothing has touched your repository yet:`)}\n`);
  for (const line of changes.patch.split('\n')) {
    const style = line.startsWith('+') && !line.startsWith('+++') ? 'green' : line.startsWith('-') && !line.startsWith('---') ? 'red' : line.startsWith('@@') ? 'cyan' : 'dim';
    process.stdout.write(`${p(style, line)}\n`);
  }
  if (applyHint) process.stdout.write(p('bold', `Apply with: hangar apply ${sessionId}\n`));
}

function exitFor(r: FollowResult): number {
  switch (r.end) {
    case 'end_turn':
      return EXIT.ok;
    case 'requires_action':
      return EXIT.needsAction;
    case 'interrupted':
      return EXIT.interrupted;
    default:
      return EXIT.sessionFailed;
  }
}
