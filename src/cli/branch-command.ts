import type { Runtime } from '../runtime';
import { handOffToBranch, sessionsSource } from '../runtime/branch-handoff';
import { BranchError } from '../review/branch';
import { EXIT } from './exit-codes';
import { paint } from './render';

// `hangar apply ID --branch NAME`: the session's changes as one commit on a new branch (src/review/branch.ts).

export interface BranchFlags {
  branch?: string;
  message?: string;
  base?: string;
}

export async function applyToBranch(rt: Runtime, id: string, o: BranchFlags & { branch: string }, json: boolean): Promise<number> {
  try {
    const r = await handOffToBranch(sessionsSource(rt.sessions), id, o);
    if (json) process.stdout.write(`${JSON.stringify({ branch: r.branch, commit: r.commit, base: r.base, files: r.files })}\n`);
    else {
      const p = paint(process.stdout.isTTY === true);
      process.stdout.write(p('green', `Committed ${r.files.length} file(s) to the new branch ${r.branch} (${r.commit.slice(0, 12)}, on ${r.base.slice(0, 12)}):\n`));
      for (const f of r.files) process.stdout.write(`  ${f}\n`);
      process.stdout.write(p('dim', `Your checkout is untouched. Look at it with: git switch ${r.branch}\n`));
    }
    return EXIT.ok;
  } catch (err) {
    if (!(err instanceof BranchError)) throw err;
    if (json) process.stdout.write(`${JSON.stringify({ error: err.message, conflicts: err.conflicts })}\n`);
    process.stderr.write(`${paint(process.stderr.isTTY === true)('red', err.message)}\n`);
    return err.conflicts.length > 0 ? EXIT.conflict : EXIT.usage;
  }
}
