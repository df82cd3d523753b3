import type { Command } from 'commander';
import type { SessionEvent } from '../wire';
import type { Runtime } from '../runtime';
import type { Checkpoint } from '../wire/checkpoint';
import { withRuntime, type Common } from './context';
import { EXIT } from './exit-codes';
import { cliHint } from './invocation';
import { summarizeInput } from './render';

// Checkpoints on the command line (issue #13): `hangar checkpoints ID` lists where a session can be rewound to (each
// step that changed files, each turn's end), `hangar rewind ID --to CHECKPOINT` takes it back there.

export function addCheckpointCommands(program: Command, common: () => Common): void {
  program
    .command('checkpoints')
    .description("list a session's checkpoints: its files after each tool call that changed them and at each turn's end, to rewind to")
    .argument('<session>')
    .action(async (id: string) => {
      process.exitCode = await withRuntime(common(), { for: 'session', id, needsSandbox: false }, async (rt) => {
        const checkpoints = await rt.sessions.checkpoints(id);
        if (common().json === true) {
          for (const c of checkpoints) process.stdout.write(`${JSON.stringify(c)}\n`);
          return EXIT.ok;
        }
        if (checkpoints.length === 0) {
          process.stdout.write(`Session ${id} has no checkpoints yet: one is taken after each tool call that changes files and at each turn's end.\n`);
          return EXIT.ok;
        }
        const events = await toolUses(rt, id);
        for (const c of checkpoints) process.stdout.write(`${c.id}  ${c.created_at.slice(0, 19).replace('T', ' ')}  ${describeCheckpoint(c, events)}\n`);
        process.stdout.write(`Rewind with: ${cliHint('rewind', id, '--to', checkpoints.at(-1)!.id)}\n`);
        return EXIT.ok;
      });
    });

  program
    .command('rewind')
    .description("take a session back to a checkpoint: its files return to that state and the conversation continues from there (the log keeps everything; the rewind can be undone)")
    .argument('<session>')
    .requiredOption('--to <checkpoint>', 'the checkpoint to go back to (hangar checkpoints <session> lists them)')
    .action(async (id: string, o: { to: string }) => {
      process.exitCode = await withRuntime(common(), { for: 'session', id, needsSandbox: true }, async (rt) => {
        const result = await rt.sessions.rewind(id, o.to);
        if (common().json === true) process.stdout.write(`${JSON.stringify(result)}\n`);
        else {
          process.stdout.write(
            `Rewound ${id} to ${o.to}: the files are as they were there, and the conversation continues from it.\nContinue with: ${cliHint('send', id, 'your message')}\nUndo with: ${cliHint('rewind', id, '--to', result.before_checkpoint_id)}\n`,
          );
        }
        return EXIT.ok;
      });
    });
}

/** The session's tool calls, which name the steps checkpoints end. */
async function toolUses(rt: Runtime, id: string): Promise<SessionEvent[]> {
  const out: SessionEvent[] = [];
  for (let page: string | undefined; ; ) {
    const res = await rt.sessions.listEvents(id, { limit: 1000, page, types: ['agent.tool_use'] });
    out.push(...res.data);
    if (!res.next_page) return out;
    page = res.next_page;
  }
}

/** What a checkpoint marks, in words: the tool call it ends, a turn's end, or a rewind. */
export function describeCheckpoint(c: Checkpoint, events: readonly SessionEvent[]): string {
  switch (c.trigger) {
    case 'tool_call': {
      const use = events.find((e) => e.id === c.tool_use_id);
      return use?.type === 'agent.tool_use' ? `after ${use.name}: ${summarizeInput(use.name, use.input)}` : 'after a tool call';
    }
    case 'idle':
      return "at the turn's end";
    case 'before_rewind':
      return 'the files just before a rewind (rewind here to undo it)';
    case 'rewound':
      return 'just after a rewind';
  }
}
