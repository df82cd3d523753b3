import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { createToolHost } from '../../tools/host-impl';
import { spawnInThisProcess } from '../../tools/spawn-off-loop';
import { CheckpointWatch } from './checkpoint-watch';
import type { ToolOutcome } from '../../wire/tool-outcome';
import { oomKills } from './oom';
import { ToolServerConfig, ToolServerRequest, type ToolServerMessage } from './protocol';

// The in-container tool server: runs the very ToolHost the local provider runs, so both providers behave the same,
// and speaks JSON lines on stdin/stdout (protocol.ts). It lives as long as its stdin: when the host side goes away
// (host process restarted, container reattached) the shell and its children are disposed and the server exits.

// The server's commands (the session's shells, ripgrep) fork from it directly: it holds a few tens of MB and drives
// only this session, so a launcher (spawn-off-loop.ts) would cost a second Node.js boot per container for nothing.
spawnInThisProcess();
const config = ToolServerConfig.parse(JSON.parse(process.argv[2] ?? '{}'));
const host = createToolHost(config);
const running = new Map<number, AbortController>();
const watch = new CheckpointWatch(config.root);

function send(message: ToolServerMessage): void {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

function withOomNote(outcome: ToolOutcome): ToolOutcome {
  const limit = config.memoryMb ? ` (${config.memoryMb} MB)` : '';
  const note = `[out of memory: the kernel's OOM killer killed a process of this command because the sandbox memory limit${limit} was reached]`;
  return { is_error: true, content: [...outcome.content, { type: 'text', text: note }] };
}

async function run(id: number, name: string, input: unknown, shell: string | undefined): Promise<void> {
  const controller = new AbortController();
  running.set(id, controller);
  const before = oomKills();
  try {
    const outcome = await host.run(name, input, controller.signal, (output) => send({ op: 'output', id, output }), shell);
    const after = oomKills();
    send({ op: 'result', id, outcome: before !== null && after !== null && after > before ? withOomNote(outcome) : outcome });
  } finally {
    running.delete(id);
  }
}

function exec(id: number, argv: readonly string[], stdin: string, cwd: string | undefined, env: Record<string, string>): void {
  const proc = spawn(argv[0] as string, argv.slice(1), { cwd: cwd ?? config.root, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let spawnError = '';
  proc.stdout.on('data', (c: Buffer) => out.push(c));
  proc.stderr.on('data', (c: Buffer) => err.push(c));
  proc.stdin.on('error', () => undefined);
  proc.on('error', (e) => (spawnError = String(e)));
  proc.on('close', (code) => {
    const stderr = `${Buffer.concat(err).toString('utf8')}${spawnError}`;
    send({ op: 'exec_result', id, exit_code: spawnError ? 127 : (code ?? -1), stdout: Buffer.concat(out).toString('base64'), stderr });
  });
  proc.stdin.end(Buffer.from(stdin, 'base64'));
}

function handle(line: string): void {
  if (!line.trim()) return;
  let parsed;
  try {
    parsed = ToolServerRequest.safeParse(JSON.parse(line));
  } catch (err) {
    send({ op: 'bad_request', error: `not JSON: ${(err as Error).message}` });
    return;
  }
  if (!parsed.success) {
    send({ op: 'bad_request', error: parsed.error.message });
    return;
  }
  const req = parsed.data;
  if (req.op === 'ping') send({ op: 'pong', id: req.id });
  else if (req.op === 'cancel') running.get(req.id)?.abort();
  else if (running.has(req.id)) send({ op: 'bad_request', id: req.id, error: `call ${req.id} is already running` });
  else if (req.op === 'exec') exec(req.id, req.argv, req.stdin, req.cwd, req.env);
  else if (req.op === 'watch_reset' || req.op === 'watch_base' || req.op === 'watch_changes') {
    const id = req.id;
    const answer = req.op === 'watch_reset' ? watch.reset(req.exclude) : req.op === 'watch_base' ? watch.base(req.epoch, req.entries) : watch.changes(req.epoch);
    void answer.then((result) => send({ op: 'watch_result', id, result }));
  }
  else if (req.op === 'close_shell') {
    const id = req.id;
    void host.closeShell(req.shell).then(
      () => send({ op: 'result', id, outcome: { is_error: false, content: [{ type: 'text', text: 'shell closed' }] } }),
      (err: unknown) => send({ op: 'result', id, outcome: { is_error: true, content: [{ type: 'text', text: `could not close the shell: ${String(err)}` }] } }),
    );
  } else
    void run(req.id, req.name, req.input, req.shell).catch((err: unknown) => {
      send({ op: 'result', id: req.id, outcome: { is_error: true, content: [{ type: 'text', text: `tool server error: ${String(err)}` }] } });
    });
}

const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
lines.on('line', handle);
lines.on('close', () => {
  for (const c of running.values()) c.abort();
  void host.dispose().finally(() => process.exit(0));
});
send({ op: 'ready', pid: process.pid, node: process.version });
