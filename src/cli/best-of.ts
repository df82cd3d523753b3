import { formatCost } from '../format/cost';
import type { Runtime } from '../runtime';
import { allSettled, compareRows, startBestOf, type BestOfRequest, type CompareRow } from '../runtime/best-of';
import { EXIT } from './exit-codes';
import { cliHint } from './invocation';
import { paint } from './render';

// `hangar run --best-of N TASK`: the task started N times at once (runtime/best-of.ts), a line as each attempt
// finishes, then one table to compare them by, and the commands that take one (apply, or a branch).

export async function runBestOf(rt: Runtime, req: BestOfRequest, opts: { json: boolean; yes: boolean }): Promise<number> {
  const { json } = opts;
  const p = paint(process.stdout.isTTY === true);
  const ids = await startBestOf(rt.sessions, req);
  if (!json) process.stdout.write(p('dim', `Started ${ids.length} attempts at once: ${ids.join(', ')}\n`));
  await allSettled(rt.sessions, ids, {
    approve: opts.yes,
    onSettled: (id) => {
      if (!json) process.stdout.write(p('dim', `  ${id} finished\n`));
    },
  });
  const rows = await compareRows(rt.sessions, ids);
  if (json) {
    for (const r of rows) process.stdout.write(`${JSON.stringify({ type: 'hangar.best_of', ...r, patch: undefined })}\n`);
  } else {
    for (const line of table(rows)) process.stdout.write(`${line}\n`);
    process.stdout.write(`Compare the diffs with ${cliHint('diff', ids[0]!)} (each id); take one with ${cliHint('apply', '<id>')} or ${cliHint('apply', '<id>', '--branch', 'NAME')}.\n`);
  }
  return rows.some((r) => r.status === 'terminated' || r.stop === 'retries_exhausted') ? EXIT.sessionFailed : EXIT.ok;
}

/** The comparison as aligned text: one row per attempt. */
export function table(rows: readonly CompareRow[]): string[] {
  const cells = rows.map((r, k) => [
    String(k + 1),
    r.id,
    r.model,
    r.stop ?? r.status,
    String(r.files),
    `+${r.additions} -${r.deletions}`,
    r.tests.length === 0 ? 'not run' : `${r.tests.filter((t) => t.passed).length}/${r.tests.length} passed${r.tests.at(-1)!.passed ? '' : ' (last failed)'}`,
    formatCost(r.costCents, r.costEstimated),
    String(r.tokens),
  ]);
  const head = ['#', 'session', 'model', 'ended', 'files', 'lines', 'tests', 'cost', 'tokens'];
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: readonly string[]) => c.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(head), ...cells.map(line)];
}
