import { randomBytes } from 'node:crypto';
import type { CheckRun, OutcomeCheck } from '../wire';
import type { ToolOutcome } from '../wire/tool-outcome';
import type { Sandbox } from '../sandbox/types';
import { MAX_DIFF_CHARS, type OutcomeEvidence } from '../harness/grader';
import type { ActiveOutcome } from '../harness/outcome-state';

// What an outcome's grader sees besides the rubric: the session's changes (the sandbox's diff against its baseline,
// which the agent cannot forge) and the check commands' exit codes and output tails, run in the sandbox before each
// evaluation. Both are scrubbed like tool results: they go to a model.

/** The shell the checks run in: their own, so they never change the agent's cwd or environment. */
const CHECK_SHELL = 'outcome-checks';
const OUTPUT_TAIL_CHARS = 4000;
const DEFAULT_CHECK_TIMEOUT_MS = 600_000;

type Redact = (outcome: ToolOutcome) => ToolOutcome | Promise<ToolOutcome>;

export function outcomeEvidence(sandbox: () => Promise<Sandbox>, redact?: Redact): (outcome: ActiveOutcome, signal: AbortSignal) => Promise<OutcomeEvidence> {
  const scrub = async (text: string) => textOf(redact ? await redact({ content: [{ type: 'text', text }], is_error: false }) : { content: [{ type: 'text', text }], is_error: false });
  return async (outcome, signal) => {
    const sb = await sandbox();
    const checks: CheckRun[] = [];
    for (const check of outcome.checks) {
      if (signal.aborted) break;
      checks.push(await runCheck(sb, check, signal, redact));
    }
    const changes = await sb.changes();
    let diff = changes.patch;
    if (diff.length > MAX_DIFF_CHARS) {
      diff = `${diff.slice(0, MAX_DIFF_CHARS)}\n… (the diff is shortened here; every file changed: ${changes.files.map((f) => `${f.path} (${f.status})`).join(', ')})`;
    }
    return { diff: await scrub(diff), checks };
  };
}

/**
 * Runs one check in the workspace (a subshell, so a `cd` in it does not carry over) and reads its exit code from a
 * line it prints after the command, marked with a nonce the command cannot have guessed. No line: it did not finish.
 */
async function runCheck(sb: Sandbox, check: OutcomeCheck, signal: AbortSignal, redact: Redact | undefined): Promise<CheckRun> {
  const marker = `__hangar_check_exit_${randomBytes(8).toString('hex')}=`;
  const command = `( ${check.command}\n) 2>&1; printf '\\n${marker}%d\\n' "$?"`;
  let outcome = await sb.execute('bash', { command, timeout_ms: check.timeout_ms ?? DEFAULT_CHECK_TIMEOUT_MS }, { signal, shell: CHECK_SHELL });
  if (redact) outcome = await redact(outcome);
  const text = textOf(outcome);
  const at = text.lastIndexOf(marker);
  const exit = at >= 0 ? Number.parseInt(text.slice(at + marker.length), 10) : Number.NaN;
  const output = (at >= 0 ? text.slice(0, at) : text).replace(/\s+$/, '');
  return { command: check.command, exit_code: Number.isInteger(exit) ? exit : null, output_tail: output.length > OUTPUT_TAIL_CHARS ? `…${output.slice(-OUTPUT_TAIL_CHARS)}` : output };
}

function textOf(outcome: ToolOutcome): string {
  return outcome.content.map((b) => (b.type === 'text' ? b.text : `[${b.type}]`)).join('\n');
}
