import path from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { resolveAgent } from './agents';
import { followTurn } from './session-flow';
import { paint, formatCount } from './render';
import { EXIT } from './exit-codes';
import { withRuntime, withStoredSessions, type Common } from './context';
import { addSessionCommands, UsageError } from './session-commands';
import { addFileCommands, collect, uploadFiles } from './file-commands';
import { addCheckpointCommands } from './checkpoint-commands';
import { cliHint, rememberStorage } from './invocation';
import { installShutdown } from './shutdown';
import { MISSING_KEY_MESSAGE } from '../model/anthropic';
import { MODEL_API_KEY } from '../vault/types';
import { readApplied } from '../review/applied';
import { RuntimeError } from '../runtime/errors';
import { PROVIDER_KINDS } from '../runtime/providers';
import { VERSION } from './version';
import { sessionRepository } from '../wire/session-repository';
import type { BudgetLimit } from '../wire';
import { BUILTIN_PROVIDER, PROVIDERS_FILE, modelProviderKey } from '../wire/provider-names';
import { addModelsCommand } from './models-command';
import { addBudgetCommand, parseBudgetUsd, runBudget } from './budget-commands';
import { firstEvent, outcomeExit, parseMaxIterations, type OutcomeFlags } from './outcome-run';
import { onRuntime, refuseRemoteFor } from './remote-flags';
import { parseBestOf, parseModels, runBestOf } from './best-of';

// `hangar`: the headless surface of the runtime. Every command opens the same runtime the extension uses.

const program = new Command('hangar')
  .description('Managed agents, locally: run Claude agents on a copy of your repository, review their changes, apply them.')
  .version(VERSION, '-V, --version', 'print the version')
  .option('--json', 'machine-readable output (JSON lines)')
  .option('--live-output', 'with --json: also print the live output of running commands as {"type":"tool_output",…} lines (previews: never in the session log; the tool result follows)')
  .option('--storage <dir>', 'where sessions live (default: $HANGAR_HOME or ~/.local/share/hangar)')
  .addOption(new Option('--runtime <url>', 'work on a runtime elsewhere: https://host:port (hangar serve --tls-cert on another machine), http://127.0.0.1:port, or "detached" (the hangar serve running on this storage); sessions, events and diff only').env('HANGAR_RUNTIME_URL'))
  .addOption(new Option('--token <token>', "with --runtime: that runtime's API token ($HANGAR_RUNTIME_TOKEN keeps it out of the process list)").env('HANGAR_RUNTIME_TOKEN'))
  .addOption(new Option('--pin <sha256>', "with --runtime https://: trust exactly the certificate with this SHA-256 fingerprint (hangar serve prints it)").env('HANGAR_RUNTIME_PIN'))
  .addOption(new Option('--ca <file>', 'with --runtime https://: trust certificates signed by this CA (or this self-signed certificate), PEM').env('HANGAR_RUNTIME_CA'))
  .addOption(new Option('--provider <kind>', 'sandbox of new sessions: one container per session (docker), a private copy (local), or docker when available (auto); a session keeps the one it started with').choices([...PROVIDER_KINDS]).default('auto').env('HANGAR_SANDBOX'))
  // Usage errors end with EXIT.usage (see main) instead of commander's own process.exit(1).
  .exitOverride()
  .showHelpAfterError();

const common = (): Common => program.opts<Common>();

program
  .command('run')
  .description('start an agent on a copy of a repository and follow it until its turn ends')
  .argument('<task>', 'what the agent should do')
  .option('--repo <dir>', 'the repository (default: the current directory)')
  .option('--agent <file>', 'agent definition as JSON (Managed Agents agent create params)')
  .option('--model <id>', 'model id, or <provider>/<model> for a configured provider (`hangar models` lists them); overrides the agent file')
  .option('-y, --yes', 'approve every tool call that asks')
  .option('--file <path>', 'a file the agent may read, mounted read-only at /mnt/session/uploads/<file_id> (repeatable)', collect)
  .option('--budget <dollars>', 'stop before spending more than this at list prices ($HANGAR_BUDGET_USD when not given; no cap without either)', parseBudgetUsd)
  .option('--rubric <file>', 'grade the work against this rubric (markdown); the agent revises until a grader is satisfied')
  .option('--max-iterations <n>', 'with --rubric: evaluations at most (1-20; 3 when not given)', parseMaxIterations)
  .option('--check <command>', 'with --rubric: a command that must pass (exit 0) before the work can be satisfied, run in the sandbox before each evaluation (repeatable)', collect)
  .option('--best-of <n>', 'start the task N times at once (1-4), each in its own session and sandbox, then compare them in a table', parseBestOf)
  .option('--models <ids>', 'with --best-of: models separated by commas, one per attempt in turn (else every attempt uses --model or the agent\'s)', parseModels)
  .action(async (task: string, o: { repo?: string; agent?: string; model?: string; yes?: boolean; file?: string[]; budget?: BudgetLimit; bestOf?: number; models?: string[] } & OutcomeFlags) => {
    if (o.models && o.bestOf === undefined) throw new UsageError('--models goes with --best-of N (the attempts the models take in turn).');
    if (o.bestOf !== undefined && o.rubric !== undefined) throw new UsageError('--best-of and --rubric do not go together yet: grade one session at a time.');
    const first = await firstEvent(task, o);
    finish(
      await withRuntime(common(), { for: 'new' }, async (rt) => {
        const repo = path.resolve(o.repo ?? process.cwd());
        const agent = await resolveAgent(rt, o.agent, o.model);
        // The built-in provider needs a key; a configured one may not (a local server), and says so itself if it does.
        if (!(await rt.modelProviders.hasKey(agent.model.id))) {
          process.stderr.write(`${MISSING_KEY_MESSAGE}\n`);
          return EXIT.usage;
        }
        const env = await rt.environments.ensureDefault();
        const files = await uploadFiles(rt, o.file ?? []);
        const budget = runBudget(o.budget);
        if (o.bestOf !== undefined) {
          if (budget) throw new UsageError('--best-of does not take a budget yet: each attempt would need its own.');
          const agents = o.models ? await Promise.all(o.models.map((m) => resolveAgent(rt, o.agent, m))) : [agent];
          const resources = [{ type: 'local_repository' as const, path: repo }, ...files];
          return runBestOf(rt, { n: o.bestOf, agents: agents.map((a) => a.id), environment_id: env.id, resources, title: task.slice(0, 72), first }, { json: common().json === true, yes: o.yes === true });
        }
        const session = await rt.sessions.create({ agent: agent.id, environment_id: env.id, title: task.slice(0, 80), resources: [{ type: 'local_repository', path: repo }, ...files], ...(budget ? { budget } : {}) });
        if (!common().json) {
          const header = `session ${session.id} · agent ${agent.name} v${agent.version} · ${agent.model.id} · ${rt.options.sandbox.kind} sandbox · repo ${repo}`;
          process.stdout.write(`${paint(process.stdout.isTTY === true)('dim', header)}\n`);
        }
        // From the first event: what the session logged at creation (an MCP server that failed to connect) shows too.
        const send = () => rt.sessions.send(session.id, [first]);
        const { code } = await followTurn(rt, session.id, send, { json: common().json === true, liveOutput: common().liveOutput === true, yes: o.yes === true, showDiff: true, fromSeq: 0 });
        return first.type === 'user.define_outcome' ? outcomeExit(rt, session.id, code, common().json === true) : code;
      }),
    );
  });

program
  .command('set-key')
  .description('store the Anthropic API key, or a model provider\'s key with --model-provider, in your Hangar vault (read from standard input, never from the command line)')
  .option('--model-provider <name>', 'the configured model provider (<storage>/model-providers.json) the key is for')
  .action(async (o: { modelProvider?: string }) => {
    const key = (await readStdin()).trim();
    if (!/^[\x21-\x7e]{8,}$/.test(key)) {
      process.stderr.write(`hangar: pipe the key on standard input, e.g. \`${cliHint('set-key')} < key.txt\`, or type it and press Ctrl-D.\n`);
      return finish(EXIT.usage);
    }
    finish(
      await withRuntime(common(), { for: 'none' }, async (rt) => {
        if (o.modelProvider && o.modelProvider !== BUILTIN_PROVIDER) {
          const names = rt.modelProviders.providers().filter((p) => !p.builtin).map((p) => p.name);
          if (!names.includes(o.modelProvider)) throw new UsageError(`no model provider named "${o.modelProvider}" is configured (${names.length ? `configured: ${names.join(', ')}` : 'none are'}); add it to ${path.join(rt.options.storageRoot, PROVIDERS_FILE)} first.`);
          await rt.vault.set(modelProviderKey(o.modelProvider), key);
          process.stdout.write(`Stored the key of model provider "${o.modelProvider}" in your Hangar vault (file mode 0600).\n`);
          return EXIT.ok;
        }
        await rt.vault.set(MODEL_API_KEY, key);
        process.stdout.write('Stored the API key in your Hangar vault (file mode 0600). ANTHROPIC_API_KEY, when set, still wins.\n');
        return EXIT.ok;
      }),
    );
  });

program
  .command('demo')
  .description('run a complete session on a bundled sample repository with the built-in scripted model (no key needed)')
  .option('--multi', 'a coordinator and two sub-agents working in parallel threads of one session')
  // demo (the scripted model, the sample repository) and serve (the HTTP API, multipart uploads) load when run: every
  // other command, and --help, never compiles them.
  .action(async (o: { multi?: boolean }) => finish(await (await import('./demo')).runDemo({ json: common().json === true, provider: common().provider, multi: o.multi === true })));

program
  .command('sessions')
  .description('list sessions: status, sandbox, repository, and whether their changes were applied')
  .option('--limit <n>', 'how many', toInt, 20)
  .action(async (o: { limit: number }) =>
    finish(
      await onRuntime(common(), async (client) => (await import('./remote')).remoteSessions(client, o.limit, common().json === true)) ??
      await withStoredSessions(common(), async (stored) => {
        const page = await stored.list({ limit: o.limit });
        if (page.data.length === 0 && page.damaged.length === 0 && !common().json) process.stdout.write(`No sessions yet. Start one with: ${cliHint('run', 'your task')}\n`);
        for (const s of page.data) {
          const sandbox = (await stored.record(s.id)).environment.hangar.provider ?? 'local';
          const applied = await readApplied(stored.dir(s.id));
          if (common().json) {
            process.stdout.write(`${JSON.stringify({ ...s, hangar: { sandbox, applied_at: applied?.applied_at ?? null } })}\n`);
            continue;
          }
          const tokens = formatCount(s.usage.input_tokens + s.usage.output_tokens).padStart(6);
          const state = applied ? `applied ${applied.applied_at.slice(0, 16)}` : 'not applied';
          process.stdout.write(`${s.id}  ${s.status.padEnd(12)} ${s.created_at.slice(0, 19)}  ${tokens} tok  ${sandbox.padEnd(6)}  ${state.padEnd(28)}  ${sessionRepository(s.resources)?.path ?? '-'}  ${s.title ?? ''}\n`);
        }
        // Sessions whose files cannot be read: listed with what is wrong and the fix, never hiding the others.
        for (const d of page.damaged) {
          if (common().json) process.stdout.write(`${JSON.stringify({ type: 'hangar.damaged_session', ...d })}\n`);
          else process.stdout.write(`${d.id}  ${'damaged'.padEnd(12)} ${d.problem}\n${' '.repeat(d.id.length + 2)}${d.fix}\n`);
        }
        return EXIT.ok;
      }),
    ),
  );

addSessionCommands(program, common);
addBudgetCommand(program, common);
addModelsCommand(program, common, finish);
addFileCommands(program, common, finish);
addCheckpointCommands(program, common);

program
  .command('serve')
  .description('serve the Managed Agents HTTP API on 127.0.0.1 for the official SDK, curl and scripts (token in <storage>/api-token)')
  .option('--port <n>', 'port to listen on (default: a free one)', toPort, 0)
  .option('--host <address>', 'address to listen on (default 127.0.0.1); any other (0.0.0.0, a LAN address) needs --tls-cert and --tls-key')
  .option('--tls-cert <file>', 'serve HTTPS with this certificate (PEM; its subjectAltName names are the host names clients may use)')
  .option('--tls-key <file>', "the certificate's private key (PEM)")
  .addOption(new Option('--warm-pool <n>', 'Docker: ready containers kept per environment, handed to new sessions (0-8; 0 keeps none)').argParser(toPoolSize).default(1).env('HANGAR_WARM_POOL'))
  .action(async (o: { port: number; host?: string; tlsCert?: string; tlsKey?: string; warmPool: number }) => finish(await withRuntime(common(), { for: 'new', warmPool: o.warmPool }, async (rt) => (await import('./serve')).serve(rt, { ...o, json: common().json === true }))));

program.hook('preAction', (_program, command) => {
  rememberStorage(common().storage);
  refuseRemoteFor(command.name(), common());
});

function toPoolSize(v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n > 8) throw new InvalidArgumentError('expected a number of containers from 0 to 8');
  return n;
}

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
  installShutdown();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander has printed the problem (and the help) already.
      process.exitCode = err.code === 'commander.helpDisplayed' || err.code === 'commander.version' ? EXIT.ok : EXIT.usage;
      return;
    }
    const p = paint(process.stderr.isTTY === true);
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`${p('red', 'hangar:')} ${message}\n`);
    process.exitCode = err instanceof UsageError || (err instanceof RuntimeError && err.status < 500) ? EXIT.usage : EXIT.error;
  }
}
