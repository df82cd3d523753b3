import { readApplied } from '../review/applied';
import { sessionRepository } from '../wire/session-repository';
import { withStoredSessions, type Common } from './context';
import { EXIT } from './exit-codes';
import { cliHint } from './invocation';
import { onRuntime } from './remote-flags';
import { formatCount } from './render';

// What `hangar sessions` does (main.ts defines it): reads the stored sessions without opening a runtime.

export async function listSessions(c: Common, limit: number): Promise<number> {
  const json = c.json === true;
  return (
    (await onRuntime(c, async (client) => (await import('./remote')).remoteSessions(client, limit, json))) ??
    (await withStoredSessions(c, async (stored) => {
      const page = await stored.list({ limit });
      if (page.data.length === 0 && page.damaged.length === 0 && !json) process.stdout.write(`No sessions yet. Start one with: ${cliHint('run', 'your task')}\n`);
      for (const s of page.data) {
        const sandbox = (await stored.record(s.id)).environment.hangar.provider ?? 'local';
        const applied = await readApplied(stored.dir(s.id));
        if (json) {
          process.stdout.write(`${JSON.stringify({ ...s, hangar: { sandbox, applied_at: applied?.applied_at ?? null } })}\n`);
          continue;
        }
        const tokens = formatCount(s.usage.input_tokens + s.usage.output_tokens).padStart(6);
        const state = applied ? `applied ${applied.applied_at.slice(0, 16)}` : 'not applied';
        process.stdout.write(`${s.id}  ${s.status.padEnd(12)} ${s.created_at.slice(0, 19)}  ${tokens} tok  ${sandbox.padEnd(6)}  ${state.padEnd(28)}  ${sessionRepository(s.resources)?.path ?? '-'}  ${s.title ?? ''}\n`);
      }
      // Sessions whose files cannot be read: listed with what is wrong and the fix, never hiding the others.
      for (const d of page.damaged) {
        if (json) process.stdout.write(`${JSON.stringify({ type: 'hangar.damaged_session', ...d })}\n`);
        else process.stdout.write(`${d.id}  ${'damaged'.padEnd(12)} ${d.problem}\n${' '.repeat(d.id.length + 2)}${d.fix}\n`);
      }
      return EXIT.ok;
    }))
  );
}
