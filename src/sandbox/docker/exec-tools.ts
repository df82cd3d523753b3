import { randomBytes } from 'node:crypto';
import * as z from 'zod';
import type { ToolOutcome } from '../../wire/tool-outcome';
import type { ToolOutputSnapshot } from '../../wire/tool-output';
import { LiveOutput } from '../../tools/live-output';
import { execCollect, type Container } from './client';

// Fallback for images that cannot run the tool server (no Node.js 18+): one `docker exec` per call, bash only.
// The shell's cwd and exported environment are saved after each command and restored before the next, so bash
// keeps them across calls like the tool server's shell does. The file tools answer with an error that names the
// reason and the bash equivalent, rather than a second, subtly different implementation of them.

const BashInput = z.strictObject({
  command: z.string().min(1).optional(),
  restart: z.boolean().optional(),
  timeout_ms: z.number().int().min(1).max(600_000).optional(),
});

const STATE = '/tmp/.hangar-exec';
/** A named shell's saved cwd/env (ExecuteOptions.shell); its name becomes part of a file name. */
const SHELL_NAME = /^[A-Za-z0-9_-]{1,100}$/;

function stateOf(shell: string | undefined): string {
  return shell === undefined ? STATE : `${STATE}-${shell}`;
}
const DEFAULT_TIMEOUT_MS = 120_000;
const MAX_CHARS = 30_000;

function text(t: string, isError = false): ToolOutcome {
  return { content: [{ type: 'text', text: t }], is_error: isError };
}

function quote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export class ExecTools {
  constructor(
    private readonly container: () => Container,
    private readonly user: string,
    private readonly root: string,
    /** Why the tool server is not there (e.g. the image has no Node.js 18+), told to the model with each refusal. */
    private readonly why: string,
  ) {}

  async run(name: string, input: unknown, signal?: AbortSignal, onOutput?: (snapshot: ToolOutputSnapshot) => void, shell?: string): Promise<ToolOutcome> {
    if (name !== 'bash') {
      return text(
        `The ${name} tool is unavailable in this sandbox (${this.why}). Use bash instead (cat -n, tee, sed, find, grep -rn).`,
        true,
      );
    }
    const parsed = BashInput.safeParse(input);
    if (!parsed.success || (!parsed.data.command && !parsed.data.restart)) return text(`Invalid input for bash: ${parsed.error?.message ?? 'give `command`'}`, true);
    if (shell !== undefined && !SHELL_NAME.test(shell)) return text(`Invalid shell name ${JSON.stringify(shell)}.`, true);
    const { command, restart, timeout_ms } = parsed.data;
    const state = stateOf(shell);
    if (restart) await this.exec(`rm -f ${state}.cwd ${state}.env`);
    if (!command) return text('Shell restarted: fresh environment, working directory = workspace root.');
    const callId = randomBytes(6).toString('hex');
    const pidFile = `${state}.${callId}.pid`;
    const seconds = Math.ceil((timeout_ms ?? DEFAULT_TIMEOUT_MS) / 1000);
    // The command runs as the leader of its own session and process group, so a timeout or an interrupt kills the
    // whole group; a watchdog subshell enforces the timeout.
    const script = [
      `cd "$(cat ${state}.cwd 2>/dev/null || echo ${quote(this.root)})" 2>/dev/null || cd ${quote(this.root)}`,
      `[ -f ${state}.env ] && . ${state}.env`,
      `setsid bash -c ${quote(`${command}\nrc=$?; pwd > ${state}.cwd; export -p > ${state}.env; exit $rc`)} 2>&1 &`,
      `pid=$!; echo $pid > ${pidFile}`,
      `( sleep ${seconds}; kill -KILL -- -$pid ) >/dev/null 2>&1 & watchdog=$!`,
      `wait $pid; rc=$?; kill $watchdog 2>/dev/null; rm -f ${pidFile}; exit $rc`,
    ].join('\n');
    const onAbort = () => void this.exec(`kill -KILL -- -"$(cat ${pidFile})" 2>/dev/null`);
    signal?.addEventListener('abort', onAbort, { once: true });
    // The command's output is all this exec prints (the pid goes to a file), so it previews as is.
    const live = onOutput ? new LiveOutput(onOutput) : null;
    try {
      const r = await execCollect(this.container(), { cmd: ['bash', '-c', script], user: this.user, workdir: this.root, onStdout: live ? (c) => live.push(c) : undefined }).finally(() => live?.close());
      let out = r.stdout.toString('utf8').replace(/\n+$/, '');
      if (out.length > MAX_CHARS) out = `${out.slice(0, MAX_CHARS / 2)}\n[… output cut …]\n${out.slice(-MAX_CHARS / 2)}`;
      if (signal?.aborted) return text(`${out}\n[interrupted: the command and its child processes were killed]`.trim(), true);
      if (r.exitCode === 137) return text(`${out}\n[command timed out or was killed (exit 137)]`.trim(), true);
      return text(r.exitCode === 0 ? out || '(no output)' : `${out}\n[exit code ${r.exitCode}]`.trim());
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Each command is an exec of its own, so a named shell is only its saved cwd/env. */
  async closeShell(shell: string): Promise<void> {
    if (SHELL_NAME.test(shell)) await this.exec(`rm -f ${stateOf(shell)}.cwd ${stateOf(shell)}.env`);
  }

  private async exec(script: string): Promise<void> {
    await execCollect(this.container(), { cmd: ['bash', '-c', script], user: this.user }).catch(() => undefined);
  }
}
