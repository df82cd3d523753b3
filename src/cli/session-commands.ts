import { InvalidArgumentError, type Command } from 'commander';
import type { Common } from './context';
import type { BranchFlags } from './branch-command';
import { cliHint } from './invocation';

// The commands on one existing session. What they do is in session-actions.ts, loaded when one runs: defining them
// (for parsing and --help) loads no runtime, review or rendering code.

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** How `hangar confirm` answers a waiting call. */
export const CONFIRM_ANSWERS = ['allow', 'allow-for-session', 'deny'] as const;
export type ConfirmAnswer = (typeof CONFIRM_ANSWERS)[number];
export const CONFIRM_HINT = CONFIRM_ANSWERS.join('|');

const actions = () => import('./session-actions');

export function addSessionCommands(program: Command, common: () => Common): void {
  program
    .command('events')
    .description("print a session's events (--follow keeps printing new ones until Ctrl-C; --thread prints one thread of a multi-agent session)")
    .argument('<session>')
    .option('-f, --follow', 'keep printing new events')
    .option('--thread <thread>', "only this thread's events (its id: see hangar threads <session>)")
    .action(async (id: string, o: { follow?: boolean; thread?: string }) => finish(await (await import('./events-command')).printEvents(common(), id, o)));

  program
    .command('threads')
    .description('list the threads of a multi-agent session: the coordinator (primary) and each sub-agent, with status and cost')
    .argument('<session>')
    .action(async (id: string) => finish(await (await actions()).listThreads(common(), id)));

  program
    .command('send')
    .description('send a message to a session (steers it if it is running) and follow it')
    .argument('<session>')
    .argument('<message>')
    .option('-y, --yes', 'approve every tool call that asks')
    .option('--thread <thread>', 'send it to this sub-agent thread of a multi-agent session only (its id: see hangar threads <session>)')
    .action(async (id: string, text: string, o: { yes?: boolean; thread?: string }) => finish(await (await actions()).sendMessage(common(), id, text, o)));

  program
    .command('resume')
    .description('continue a session its log shows unfinished (after a crash or reload) and follow it; an idle session has nothing to resume')
    .argument('<session>')
    .argument('[message]', 'not accepted: use send')
    .option('-y, --yes', 'approve every tool call that asks')
    .action(async (id: string, message: string | undefined, o: { yes?: boolean }) => {
      if (message !== undefined) throw new UsageError(`resume takes no message. To send one: ${cliHint('send', id, message)}`);
      finish(await (await actions()).resumeSession(common(), id, o));
    });

  program
    .command('interrupt')
    .description('stop what a session is doing; it goes idle')
    .argument('<session>')
    .action(async (id: string) => finish(await (await actions()).interruptSession(common(), id)));

  program
    .command('delete')
    .description('delete a session: its log, its sandbox (container, volume or copy) and its review state')
    .argument('<session>')
    .action(async (id: string) => finish(await (await actions()).deleteSession(common(), id)));

  program
    .command('confirm')
    .description('answer a tool call that waits for approval, then follow the session')
    .argument('<session>')
    .argument('<tool_use_id>')
    .argument('<answer>', 'allow, allow-for-session (this call and every later call of the tool by the same agent) or deny', (v) => {
      if (!CONFIRM_ANSWERS.includes(v as ConfirmAnswer)) throw new InvalidArgumentError(`the answer is ${CONFIRM_ANSWERS.join(', ')}`);
      return v;
    })
    .option('-m, --message <text>', 'reason shown to the agent when denying')
    .option('--thread <thread>', 'the thread the call is in (optional: the call id finds it; with allow-for-session another thread is refused)')
    .action(async (id: string, toolUseId: string, answer: ConfirmAnswer, o: { message?: string; thread?: string }) => finish(await (await actions()).confirmCall(common(), id, toolUseId, answer, o)));

  program
    .command('fork')
    .description('start a new session from another one at one of its events: the conversation up to that event and the files, in a sandbox of its own (the source is left as it is)')
    .argument('<session>')
    .option('--at <event>', "the last event the new session keeps (an event id: see hangar events <session>); the whole log when not given")
    .option('--title <title>', 'the new session\'s title ("Fork of …" when not given)')
    .action(async (id: string, o: { at?: string; title?: string }) => finish(await (await actions()).forkSession(common(), id, o)));

  program
    .command('diff')
    .description("show a session's changes, and whether they were applied")
    .argument('<session>')
    .action(async (id: string) => finish(await (await actions()).showDiff(common(), id)));

  program
    .command('apply')
    .description("apply a session's changes to its repository (refuses, writing nothing, when the repository changed under them); with --branch, commit them to a new branch instead, leaving your checkout untouched")
    .argument('<session>')
    .option('-b, --branch <name>', 'commit the changes on this new branch (made from HEAD in a scratch worktree; HEAD, index and working tree are not touched)')
    .option('-m, --message <text>', "the commit message with --branch (drafted from the session's task and the agent's last message when not given)")
    .option('--base <rev>', 'with --branch: the commit the branch starts from (HEAD when not given)')
    .action(async (id: string, o: BranchFlags) => {
      if (o.branch === undefined && (o.message !== undefined || o.base !== undefined)) throw new UsageError('--message and --base go with --branch NAME (the new branch the changes are committed to).');
      finish(await (await actions()).applySession(common(), id, o));
    });
}

function finish(code: number): void {
  process.exitCode = code;
}
