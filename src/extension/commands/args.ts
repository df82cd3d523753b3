import * as vscode from 'vscode';
import * as z from 'zod';
import type { Hangar } from '../hangar';
import { activeReview, hunkAt, sandboxEditor } from '../review/review-editor';
import { parseSandboxUri } from '../review/sandbox-content';
import type { SessionView } from '../sessions-model';
import { formatCost } from '../../format/cost';
import { formatDuration } from '../format';

// Commands run from the palette (no argument), a tree node, an editor title button (a URI) or another command or
// test ({sessionId, ...}). These helpers turn any of those into what the command needs, asking the user last.

const Id = z.string().regex(/^[A-Za-z0-9_-]{1,128}$/);
const WithSession = z.looseObject({ sessionId: Id });

/** The session an argument names, without asking. */
export function sessionOf(arg: unknown): string | undefined {
  if (typeof arg === 'string' && Id.safeParse(arg).success) return arg;
  if (arg instanceof vscode.Uri) return parseSandboxUri(arg)?.sessionId;
  const parsed = WithSession.safeParse(arg);
  return parsed.success ? parsed.data.sessionId : undefined;
}

/** The session to act on: from the argument, else the focused panel or sandbox editor, else a pick. */
export async function resolveSession(h: Hangar, arg: unknown, placeHolder: string, filter?: (v: SessionView) => boolean): Promise<string | undefined> {
  const named = sessionOf(arg);
  if (named) return named;
  const active = h.panels.activeSessionId() ?? activeReview()?.sessionId;
  if (active && !filter) return active;
  const views = (await h.sessions.list()).filter((v) => !filter || filter(v));
  if (views.length === 0) {
    void vscode.window.showInformationMessage(filter ? 'Hangar: no session fits this command right now.' : 'Hangar: there are no sessions yet. Start an agent first.');
    return undefined;
  }
  const pick = await vscode.window.showQuickPick(
    views.map((v) => ({ label: v.title, description: `${v.status} · ${formatDuration(v.activeSeconds)} · ${formatCost(v.costCents, v.costEstimated)}`, detail: v.id, id: v.id })),
    { placeHolder, matchOnDescription: true, matchOnDetail: true },
  );
  return pick?.id;
}

const FileRef = z.looseObject({ sessionId: Id, path: z.string().min(1) });
const HunkRef = z.looseObject({ sessionId: Id, path: z.string().min(1), hunkId: z.string().min(1).optional(), hunk: z.number().int().min(1).optional() });

/** A changed file from a node, a {sessionId, path} argument, a sandbox URI (editor title buttons) or the active review. */
export function fileOf(arg: unknown): { sessionId: string; path: string } | undefined {
  if (arg instanceof vscode.Uri) {
    const p = parseSandboxUri(arg);
    return p ? { sessionId: p.sessionId, path: p.path } : undefined;
  }
  const parsed = FileRef.safeParse(arg);
  if (parsed.success) return { sessionId: parsed.data.sessionId, path: parsed.data.path };
  const review = arg === undefined ? activeReview() : undefined;
  return review ? { sessionId: review.sessionId, path: review.path } : undefined;
}

/**
 * A hunk from a node or {sessionId, path, hunkId} / {sessionId, path, hunk: <1-based index>}; from the keyboard or an
 * editor title button, the hunk under the cursor in the review's sandbox side (whichever side has focus), else its
 * first pending hunk.
 */
export async function hunkOf(h: Hangar, arg: unknown): Promise<{ sessionId: string; path: string; hunkId: string } | undefined> {
  const parsed = HunkRef.safeParse(arg);
  const file = parsed.success ? { sessionId: parsed.data.sessionId, path: parsed.data.path } : fileOf(arg);
  if (!file) return undefined;
  if (parsed.success && parsed.data.hunkId) return { ...file, hunkId: parsed.data.hunkId };
  const reviewed = await h.reviews.file(file.sessionId, file.path);
  if (parsed.success && parsed.data.hunk !== undefined) {
    const byIndex = reviewed.hunks[parsed.data.hunk - 1];
    if (!byIndex) throw new Error(`${file.path} has ${reviewed.hunks.length} hunk(s); there is no hunk ${parsed.data.hunk}.`);
    return { ...file, hunkId: byIndex.id };
  }
  const line = sandboxEditor(file.sessionId, file.path)?.selection.active.line ?? 0;
  const under = hunkAt(reviewed, line) ?? reviewed.hunks.find((x) => x.status === 'pending');
  return under ? { ...file, hunkId: under.id } : undefined;
}

/** Runs a command body, turning a thrown error into an error notification (and the command's result undefined). */
export function guarded<A extends unknown[], R>(h: Hangar, name: string, run: (...args: A) => Promise<R>): (...args: A) => Promise<R | undefined> {
  return async (...args: A) => {
    try {
      return await run(...args);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      h.log.error(`${name}: ${message}`);
      void vscode.window.showErrorMessage(`Hangar: ${message}`);
      return undefined;
    }
  };
}
