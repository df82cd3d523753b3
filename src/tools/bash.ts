import type { ToolOutcome } from '../wire/tool-outcome';
import type { ToolOutputSnapshot } from '../wire/tool-output';
import { LiveOutput } from './live-output';
import { textOutcome } from './output';
import type { BashInput } from './schemas';
import type { PersistentShell } from './shell';

// Variables a shell needs to behave like a developer's shell; everything else of the host process (API keys,
// tokens, GIT_DIR of a surrounding repo…) stays out (ARCHITECTURE.md invariant 5).
const INHERITED = ['PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'LANG', 'TZ', 'TMPDIR'];
const FIXED = { TERM: 'dumb', PAGER: 'cat', GIT_PAGER: 'cat', GIT_TERMINAL_PROMPT: '0', NO_COLOR: '1' };

export function shellEnvironment(extra: Record<string, string> = {}): Record<string, string> {
  return { ...inheritedEnvironment(), ...FIXED, ...extra };
}

// Read once: walking process.env crosses into C++ for every variable, every grep and shell start needs this, and
// Hangar never changes its own environment.
let inherited: Readonly<Record<string, string>> | undefined;
function inheritedEnvironment(): Readonly<Record<string, string>> {
  if (!inherited) {
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries(process.env)) {
      if (value !== undefined && (INHERITED.includes(key) || key.startsWith('LC_'))) env[key] = value;
    }
    env.PATH ??= '/usr/local/bin:/usr/bin:/bin';
    inherited = Object.freeze(env);
  }
  return inherited;
}

export async function runBash(
  shell: PersistentShell,
  input: BashInput,
  defaultTimeoutMs: number,
  signal?: AbortSignal,
  onOutput?: (snapshot: ToolOutputSnapshot) => void,
): Promise<ToolOutcome> {
  let prefix = '';
  if (input.restart) {
    await shell.restart();
    if (input.command === undefined) return textOutcome('Shell restarted: fresh environment, working directory = workspace root.');
    prefix = '[shell restarted]\n';
  }
  const timeoutMs = input.timeout_ms ?? defaultTimeoutMs;
  const live = onOutput ? new LiveOutput(onOutput) : null;
  const { end, output } = await shell.run(input.command as string, timeoutMs, signal, live ? (chunk) => live.push(chunk) : undefined).finally(() => live?.close());
  const shown = prefix + output.replace(/\n+$/, '');
  const withOutput = (note: string) => (shown ? `${shown}\n${note}` : note);
  const killed = 'it and its child processes were killed; the shell restarted in';
  switch (end.kind) {
    case 'done':
      if (end.exitCode === 0) return textOutcome(shown || '(no output)');
      return textOutcome(withOutput(`[exit code ${end.exitCode}]`));
    case 'timeout':
      return textOutcome(
        withOutput(
          `[command timed out after ${timeoutMs} ms; ${killed} ${end.cwd} with the environment of the last completed ` +
            'command. Give a larger timeout_ms (max 600000) or run long jobs in the background (cmd > log 2>&1 &)]',
        ),
        true,
      );
    case 'aborted':
      return textOutcome(withOutput(`[command aborted; ${killed} ${end.cwd}]`), true);
    case 'shell_exited': {
      const how = end.signal ? `was killed by ${end.signal}` : `exited with code ${end.exitCode}`;
      return textOutcome(withOutput(`[the shell ${how}; the next command starts a new shell in ${end.cwd}]`));
    }
    case 'spawn_failed':
      return textOutcome(withOutput(`[bash failed: ${end.message}]`), true);
  }
}
