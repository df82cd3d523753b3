import { stat } from 'node:fs/promises';
import path from 'node:path';
import { sessionRepository } from '../wire/session-repository';
import type { SessionRecord } from '../runtime/session-record';
import { withStoredSessions, type Common } from './context';
import { defaultStorage } from './storage-dir';
import { EXIT } from './exit-codes';
import { cliHint } from './invocation';
import { onRuntime } from './remote-flags';
import { formatCount } from './render';

// What `hangar sessions` does (main.ts defines it): reads the stored sessions without opening a runtime.

export async function listSessions(c: Common, limit: number): Promise<number> {
  const json = c.json === true;
  return (
    (await onRuntime(c, async (client) => (await import('./remote')).remoteSessions(client, limit, json))) ??
    ((await hasSessionsFolder(c.storage ?? defaultStorage())) ? undefined : noSessions(json)) ??
    (await withStoredSessions(c, async (stored) => {
      // The page's records come with it: reading each again for its sandbox cost two file calls per session.
      const records = new Map<string, SessionRecord>();
      const [page, { readApplied }] = await Promise.all([stored.list({ limit }, records), import('../review/applied')]);
      if (page.data.length === 0 && page.damaged.length === 0) noSessions(json);
      // The page's applied records are read together, and its lines written at once.
      const applied = await Promise.all(page.data.map((s) => readApplied(stored.dir(s.id))));
      const lines = page.data.map((s, k) => {
        const sandbox = records.get(s.id)?.environment.hangar.provider ?? 'local';
        const done = applied[k];
        if (json) return `${JSON.stringify({ ...s, hangar: { sandbox, applied_at: done?.applied_at ?? null } })}\n`;
        const tokens = formatCount(s.usage.input_tokens + s.usage.output_tokens).padStart(6);
        const state = done ? `applied ${done.applied_at.slice(0, 16)}` : 'not applied';
        return `${s.id}  ${s.status.padEnd(12)} ${s.created_at.slice(0, 19)}  ${tokens} tok  ${sandbox.padEnd(6)}  ${state.padEnd(28)}  ${sessionRepository(s.resources)?.path ?? '-'}  ${s.title ?? ''}\n`;
      });
      // Sessions whose files cannot be read: listed with what is wrong and the fix, never hiding the others.
      for (const d of page.damaged) {
        if (json) lines.push(`${JSON.stringify({ type: 'hangar.damaged_session', ...d })}\n`);
        else lines.push(`${d.id}  ${'damaged'.padEnd(12)} ${d.problem}\n${' '.repeat(d.id.length + 2)}${d.fix}\n`);
      }
      if (lines.length > 0) process.stdout.write(lines.join(''));
      return EXIT.ok;
    }))
  );
}

function noSessions(json: boolean): number {
  if (!json) process.stdout.write(`No sessions yet. Start one with: ${cliHint('run', 'your task')}\n`);
  return EXIT.ok;
}

/**
 * Whether the storage has its sessions folder (made with the first session): without it there is nothing to list, and
 * the listing (with zod and the wire schemas it reads records and summaries with) is not loaded, the start of a new
 * user's first `hangar sessions` (issue #17). Anything else there (a file, a folder it may not read) is the listing's to
 * report.
 */
async function hasSessionsFolder(storage: string): Promise<boolean> {
  try {
    await stat(path.join(storage, 'sessions'));
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}
