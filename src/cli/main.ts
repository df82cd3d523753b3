import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { paint } from './render';
import { EXIT } from './exit-codes';
import { withRuntime, type Common } from './context';
import { addSessionCommands, UsageError } from './session-commands';
import { addFileCommands, collect } from './file-commands';
import { addCheckpointCommands } from './checkpoint-commands';
import { rememberStorage } from './invocation';
import { installShutdown } from './shutdown';
import { RuntimeError } from '../runtime/errors';
import { PROVIDER_KINDS } from '../runtime/providers';
import { VERSION } from './version';
import { addModelsCommand } from './models-command';
import { addBudgetCommand } from './budget-commands';
import { parseBestOf, parseBudgetUsd, parseMaxIterations, parseModels } from './flag-parsers';
import { refuseRemoteFor } from './remote-flags';
import type { RunFlags } from './run-command';

// `hangar`: the headless surface of the runtime. Every command opens the same runtime the extension uses. This module
// defines the commands (for parsing and --help); what a command does loads when it runs (run-command.ts, set-key.ts,
// sessions-command.ts, session-actions.ts, ...), so a command compiles only its own code.

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
  .action(async (task: string, o: RunFlags) => finish(await (await import('./run-command')).runTask(common(), task, o)));

program
  .command('set-key')
  .description('store the Anthropic API key, or a model provider\'s key with --model-provider, in your Hangar vault (read from standard input, never from the command line)')
  .option('--model-provider <name>', 'the configured model provider (<storage>/model-providers.json) the key is for')
  .action(async (o: { modelProvider?: string }) => finish(await (await import('./set-key')).setKey(common(), o)));

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
  .action(async (o: { limit: number }) => finish(await (await import('./sessions-command')).listSessions(common(), o.limit)));

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
  .addOption(
    new Option('--warm-pool-max <n>', 'Docker: after a burst of sessions, keep up to this many ready for 10 minutes, memory allowing (0-64; at most --warm-pool: never grow)')
      .argParser(toPoolMax)
      .default(20)
      .env('HANGAR_WARM_POOL_MAX'),
  )
  .action(async (o: { port: number; host?: string; tlsCert?: string; tlsKey?: string; warmPool: number; warmPoolMax: number }) =>
    finish(await withRuntime(common(), { for: 'new', warmPool: o.warmPool, warmPoolMax: o.warmPoolMax }, async (rt) => (await import('./serve')).serve(rt, { ...o, json: common().json === true }))),
  );

program.hook('preAction', (_program, command) => {
  rememberStorage(common().storage);
  refuseRemoteFor(command.name(), common());
});

function toPoolSize(v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n > 8) throw new InvalidArgumentError('expected a number of containers from 0 to 8');
  return n;
}

function toPoolMax(v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n > 64) throw new InvalidArgumentError('expected a number of containers from 0 to 64');
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
