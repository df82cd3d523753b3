import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { z } from 'zod';
import type { ToolOutcome } from '../wire/tool-outcome';
import type { ToolOutputSnapshot } from '../wire/tool-output';
import { runBash, shellEnvironment } from './bash';
import { runEdit } from './edit';
import { runGlob } from './glob';
import { findRipgrep, runGrep } from './grep';
import type { ToolHost, ToolHostOptions } from './host';
import { textOutcome, ToolFailure } from './output';
import { runRead } from './read';
import { isSandboxToolName, SANDBOX_TOOL_NAMES, TOOL_INPUTS, TOOL_SIGNATURES, type SandboxToolName } from './schemas';
import { PersistentShell } from './shell';
import { runWrite } from './write';

export const DEFAULT_BASH_TIMEOUT_MS = 120_000;
export const DEFAULT_MAX_OUTPUT_CHARS = 30_000;
/** A named shell's name becomes a directory name. */
const SHELL_NAME = /^[A-Za-z0-9_-]{1,100}$/;

function describeIssue(issue: z.core.$ZodIssue): string {
  const where = issue.path.length > 0 ? issue.path.join('.') : 'input';
  if (issue.code === 'unrecognized_keys') return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`;
  if (issue.code === 'invalid_type' && /received undefined$/.test(issue.message)) return `${where}: required (${issue.expected}) but missing`;
  return `${where}: ${issue.message.replace(/^Invalid input: /, '')}`;
}

/** The text the model gets for invalid input: each problem, then what the tool expects. */
export function describeInputError(name: SandboxToolName, error: z.ZodError): string {
  const problems = error.issues.map((issue) => `- ${describeIssue(issue)}`).join('\n');
  return `Invalid input for ${name}:\n${problems}\nExpected: ${name} ${TOOL_SIGNATURES[name]}`;
}

export function createToolHost(options: ToolHostOptions): ToolHost {
  const root = path.resolve(options.root);
  const maxOutputChars = options.maxOutputChars ?? DEFAULT_MAX_OUTPUT_CHARS;
  const defaultTimeoutMs = options.defaultTimeoutMs ?? DEFAULT_BASH_TIMEOUT_MS;
  const stateDir = options.stateDir ?? path.join(os.tmpdir(), `hangar-shell-${randomUUID()}`);
  const env = shellEnvironment(options.env);
  const main = new PersistentShell({ root, stateDir, env, maxOutputChars });
  // Named shells keep their cwd/env under threads/<name>, so a host given the same stateDir resumes them too.
  const named = new Map<string, PersistentShell>();
  const namedDir = (name: string) => path.join(stateDir, 'threads', name);
  const shellFor = (name: string | undefined): PersistentShell => {
    if (name === undefined) return main;
    if (!SHELL_NAME.test(name)) throw new ToolFailure(`Invalid shell name ${JSON.stringify(name)}.`);
    let shell = named.get(name);
    if (!shell) named.set(name, (shell = new PersistentShell({ root, stateDir: namedDir(name), env, maxOutputChars })));
    return shell;
  };
  let ripgrep: Promise<string | null> | undefined;
  let disposed = false;

  type Handler<I> = (input: I, signal?: AbortSignal, onOutput?: (snapshot: ToolOutputSnapshot) => void, shell?: string) => Promise<ToolOutcome>;
  const handlers: { [K in SandboxToolName]: Handler<z.infer<(typeof TOOL_INPUTS)[K]>> } = {
    bash: (input, signal, onOutput, shell) => runBash(shellFor(shell), input, defaultTimeoutMs, signal, onOutput),
    read: (input) => runRead(root, input, options.readOnlyRoots),
    write: (input) => runWrite(root, input),
    edit: (input) => runEdit(root, input),
    glob: (input, signal) => runGlob(root, input, maxOutputChars, signal),
    grep: async (input, signal) => {
      ripgrep ??= findRipgrep(root);
      return runGrep(root, input, maxOutputChars, await ripgrep, signal);
    },
  };

  return {
    async run(name, input, signal, onOutput, shell) {
      if (disposed) return textOutcome('The tool host was shut down; the sandbox must be provisioned again.', true);
      if (!isSandboxToolName(name)) {
        return textOutcome(`Unknown tool ${JSON.stringify(name)}; this sandbox runs ${SANDBOX_TOOL_NAMES.join(', ')}.`, true);
      }
      const parsed = TOOL_INPUTS[name].safeParse(input);
      if (!parsed.success) return textOutcome(describeInputError(name, parsed.error), true);
      try {
        // parsed.data was validated by the schema of this very tool, which is what its handler takes.
        const handler = handlers[name] as Handler<unknown>;
        return await handler(parsed.data, signal, onOutput, shell);
      } catch (err) {
        if (err instanceof ToolFailure) return textOutcome(err.message, true);
        return textOutcome(`${name} failed unexpectedly: ${err instanceof Error ? err.message : String(err)}`, true);
      }
    },
    async closeShell(name) {
      const shell = named.get(name);
      named.delete(name);
      await shell?.dispose();
      if (SHELL_NAME.test(name)) await rm(namedDir(name), { recursive: true, force: true });
    },
    async dispose() {
      disposed = true;
      await Promise.all([main, ...named.values()].map((s) => s.dispose()));
      if (!options.stateDir) await rm(stateDir, { recursive: true, force: true });
    },
  };
}
