import path from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { openCliRuntime } from './env';
import { resolveAgent } from './agents';
import { followTurn, printDiff } from './session-flow';
import { runDemo } from './demo';
import { follow } from './follow';
import { serve } from './serve';
import { paint, formatCount } from './render';
import { EXIT } from './exit-codes';
import { MISSING_KEY_MESSAGE } from '../model/anthropic';
import { MODEL_API_KEY } from '../vault/types';
import { applyChanges } from '../review/apply';
import { RuntimeError } from '../runtime/errors';
import { PROVIDER_KINDS, type ProviderKind } from '../runtime/providers';
import type { Runtime } from '../runtime';

// `hangar`: the headless surface of the runtime. Every command opens the same runtime the extension uses.

interface Common {
  json?: boolean;
  storage?: string;
  provider?: ProviderKind;
}

const program = new Command('hangar')
  .description('Managed agents, locally: run Claude agents on a copy of your repository, review their changes, apply them.')
  .option('--json', 'machine-readable output (JSON lines)')
  .option('--storage <dir>', 'where sessions live (default: $HANGAR_HOME or ~/.local/share/hangar)')
  .addOption(new Option('--provider <kind>', 'sandbox: one container per session (docker), a private copy (local), or docker when available (auto)').choices([...PROVIDER_KINDS]).default('auto').env('HANGAR_SANDBOX'))
  .showHelpAfterError();

const common = (): Common => program.opts<Common>();

async function withRuntime(fn: (rt: Runtime) => Promise<number>): Promise<number> {
  const c = common();
  const p = paint(process.stderr.isTTY === true);
  const rt = await openCliRuntime({
    storage: c.storage,
    provider: c.provider,
    onProgress: (m) => process.stderr.write(`${p('dim', m)}\n`),
    onNotice: (m) => process.stderr.write(`${p('yellow', m)}\n`),
  });
  try {
    return await fn(rt);
  } finally {
    await rt.close();
  }
}

program
  .command('run')
  .description('start an agent on a copy of a repository and follow it until its turn ends')
  .argument('<task>', 'what the agent should do')
  .option('--repo <dir>', 'the repository (default: the current directory)', process.cwd())
  .option('--agent <file>', 'agent definition as JSON (Managed Agents agent create params)')
  .option('--model <id>', 'model id (overrides the agent file)')
  .option('-y, --yes', 'approve every tool call that asks')
  .action(async (task: string, o: { repo: string; agent?: string; model?: string; yes?: boolean }) => {
    finish(
      await withRuntime(async (rt) => {
        if (!(await rt.vault.get(MODEL_API_KEY))) {
          process.stderr.write(`${MISSING_KEY_MESSAGE}\n`);
          return EXIT.usage;
        }
        const agent = await resolveAgent(rt, o.agent, o.model);
        const env = await rt.environments.ensureDefault();
        const session = await rt.sessions.create({ agent: agent.id, environment_id: env.id, title: task.slice(0, 80), resources: [{ type: 'local_repository', path: path.resolve(o.repo) }] });
        if (!common().json) process.stdout.write(paint(process.stdout.isTTY === true)('dim', `session ${session.id} · agent ${agent.name} v${agent.version} · ${agent.model.id}\n`));
        return (await followTurn(rt, session.id, task, { json: common().json === true, yes: o.yes === true, showDiff: true })).code;
      }),
    );
  });

program
  .command('set-key')
  .description('store the Anthropic API key in your Hangar vault (read from standard input, never from the command line)')
  .action(async () => {
    const key = (await readStdin()).trim();
    if (!/^[\x21-\x7e]{8,}$/.test(key)) {
      process.stderr.write('hangar: pipe the key on standard input, e.g. `hangar set-key < key.txt`, or type it and press Ctrl-D.\n');
      return finish(EXIT.usage);
    }
    finish(
      await withRuntime(async (rt) => {
        await rt.vault.set(MODEL_API_KEY, key);
        process.stdout.write('Stored the API key in your Hangar vault (file mode 0600). ANTHROPIC_API_KEY, when set, still wins.\n');
        return EXIT.ok;
      }),
    );
  });

program
  .command('demo')
  .description('run a complete session on a bundled sample repository with the built-in scripted model (no key needed)')
  .action(async () => finish(await runDemo({ json: common().json === true, provider: common().provider })));

program
  .command('sessions')
  .description('list sessions')
  .option('--limit <n>', 'how many', toInt, 20)
  .action(async (o: { limit: number }) =>
    finish(
      await withRuntime(async (rt) => {
        const page = await rt.sessions.list({ limit: o.limit });
        if (common().json) page.data.forEach((s) => process.stdout.write(`${JSON.stringify(s)}\n`));
        else if (page.data.length === 0) process.stdout.write('No sessions yet. Start one with: hangar run "your task"\n');
        else
          for (const s of page.data) {
            const tokens = s.usage.input_tokens + s.usage.output_tokens;
            process.stdout.write(`${s.id}  ${s.status.padEnd(12)} ${s.created_at.slice(0, 19)}  ${formatCount(tokens).padStart(6)} tok  ${s.title ?? ''}\n`);
          }
        return EXIT.ok;
      }),
    ),
  );

program
  .command('events')
  .description("print a session's events")
  .argument('<session>')
  .option('-f, --follow', 'keep printing new events')
  .action(async (id: string, o: { follow?: boolean }) =>
    finish(
      await withRuntime(async (rt) => {
        await follow(rt, id, { fromSeq: 0, json: common().json === true, interactive: false, autoApprove: false, forever: o.follow === true }).catch(() => undefined);
        return EXIT.ok;
      }),
    ),
  );

const turnCommand = (name: string, description: string, withText: boolean) =>
  program
    .command(name)
    .description(description)
    .argument('<session>')
    .argument(withText ? '<message>' : '[message]')
    .option('-y, --yes', 'approve every tool call that asks')
    .action(async (id: string, text: string | undefined, o: { yes?: boolean }) =>
      finish(await withRuntime(async (rt) => (await followTurn(rt, id, withText ? (text ?? '') : null, { json: common().json === true, yes: o.yes === true, showDiff: true })).code)),
    );
turnCommand('send', 'send a message to a session (steers it if it is running) and follow it', true);
turnCommand('resume', 'continue a session from its log (after a crash or reload) and follow it', false);

program
  .command('interrupt')
  .description('stop what a session is doing; it goes idle')
  .argument('<session>')
  .action(async (id: string) => finish(await withRuntime(async (rt) => (await rt.sessions.send(id, [{ type: 'user.interrupt' }]), EXIT.ok))));

program
  .command('delete')
  .description('delete a session: its log, its sandbox (container, volume or copy) and its review state')
  .argument('<session>')
  .action(async (id: string) =>
    finish(
      await withRuntime(async (rt) => {
        await rt.deleteSession(id);
        if (!common().json) process.stdout.write(`Deleted ${id}.\n`);
        return EXIT.ok;
      }),
    ),
  );

program
  .command('confirm')
  .description('answer a tool call that waits for approval')
  .argument('<session>')
  .argument('<tool_use_id>')
  .argument('<answer>', 'allow or deny', (v) => {
    if (v !== 'allow' && v !== 'deny') throw new InvalidArgumentError('answer is allow or deny');
    return v;
  })
  .option('-m, --message <text>', 'reason shown to the agent when denying')
  .action(async (id: string, toolUseId: string, answer: 'allow' | 'deny', o: { message?: string }) =>
    finish(
      await withRuntime(async (rt) => {
        await rt.sessions.send(id, [{ type: 'user.tool_confirmation', tool_use_id: toolUseId, result: answer, ...(answer === 'deny' && o.message ? { deny_message: o.message } : {}) }]);
        return (await followTurn(rt, id, null, { json: common().json === true, yes: false, showDiff: false })).code;
      }),
    ),
  );

program
  .command('diff')
  .description("show a session's changes")
  .argument('<session>')
  .action(async (id: string) =>
    finish(
      await withRuntime(async (rt) => {
        if (common().json) process.stdout.write(`${JSON.stringify(await rt.sessions.changes(id))}\n`);
        else await printDiff(rt, id, paint(process.stdout.isTTY === true));
        return EXIT.ok;
      }),
    ),
  );

program
  .command('apply')
  .description("apply a session's changes to its repository (refuses when the repository moved)")
  .argument('<session>')
  .action(async (id: string) =>
    finish(
      await withRuntime(async (rt) => {
        const p = paint(process.stdout.isTTY === true);
        const record = await rt.sessions.record(id);
        const repo = record.resources[0]?.path;
        if (!repo) throw new Error(`session ${id} has no repository to apply to`);
        if (!common().json) await printDiff(rt, id, p);
        const changes = await rt.sessions.changes(id);
        const result = await applyChanges(repo, changes, (f, side) => rt.sessions.readFile(id, f, side));
        if (common().json) process.stdout.write(`${JSON.stringify(result)}\n`);
        if (result.conflicts.length > 0) {
          if (!common().json) {
            process.stderr.write(p('red', `Not applied: ${result.conflicts.length} file(s) changed in ${repo} since the session started:\n`));
            for (const c of result.conflicts) process.stderr.write(p('red', `  ${c.path}: ${c.reason}\n`));
            process.stderr.write('Review hunk by hunk in VS Code (Hangar: Review Changes), or revert those files and apply again.\n');
          }
          return EXIT.conflict;
        }
        if (!common().json) process.stdout.write(p('green', `Applied ${result.applied.length} file(s) to ${repo}.\n`));
        return EXIT.ok;
      }),
    ),
  );

program
  .command('serve')
  .description('serve the Managed Agents HTTP API on 127.0.0.1 for the official SDK, curl and scripts (token in <storage>/api-token)')
  .option('--port <n>', 'port to listen on (default: a free one)', toPort, 0)
  .action(async (o: { port: number }) => finish(await withRuntime((rt) => serve(rt, { port: o.port, json: common().json === true }))));

function toPort(v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n > 65535) throw new InvalidArgumentError('expected a port number (0-65535; 0 picks a free one)');
  return n;
}

function toInt(v: string): number {
  const n = Number.parseInt(v, 10);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive whole number');
  return n;
}

/** The key from a pipe, or typed at a terminal without echo (raw mode, ends at Enter). */
async function readStdin(): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) {
    let data = '';
    for await (const chunk of stdin) data += String(chunk);
    return data;
  }
  process.stderr.write('Anthropic API key (not shown): ');
  stdin.setRawMode(true);
  stdin.resume();
  return new Promise((resolve) => {
    let key = '';
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') {
          stdin.setRawMode(false);
          stdin.pause();
          stdin.off('data', onData);
          process.stderr.write('\n');
          return resolve(key);
        }
        if (ch === '\u0003') process.exit(EXIT.interrupted);
        key = ch === '\u007f' ? key.slice(0, -1) : key + ch;
      }
    };
    stdin.on('data', onData);
  });
}

function finish(code: number): void {
  process.exitCode = code;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await program.parseAsync(argv);
  } catch (err) {
    const p = paint(process.stderr.isTTY === true);
    const message = err instanceof RuntimeError ? err.message : err instanceof Error ? err.message : String(err);
    process.stderr.write(`${p('red', 'hangar:')} ${message}\n`);
    process.exitCode = err instanceof RuntimeError && err.status < 500 ? EXIT.usage : EXIT.error;
  }
}
