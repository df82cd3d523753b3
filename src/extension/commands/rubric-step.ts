import { readFile } from 'node:fs/promises';
import * as vscode from 'vscode';
import * as z from 'zod';
import { UserDefineOutcomeParams, type EventParams } from '../../wire';

// Start Agent's optional rubric step (issue #11 §1): the task can become an outcome that a grader holds to a rubric,
// written in a box or read from a file; skipping it starts a plain turn. The panel then notes each evaluation.

const SKIP = '$(debug-step-over) No rubric';
const WRITE = '$(edit) Write a rubric…';
const FILE = '$(file) Rubric from a file…';

/** The rubric's text; null when skipped; undefined when the user cancelled (the start is abandoned). */
export async function askRubric(): Promise<string | null | undefined> {
  const pick = await vscode.window.showQuickPick([SKIP, WRITE, FILE], {
    title: 'Hangar: Start Agent (optional rubric)',
    placeHolder: 'Grade the work against a rubric? The agent revises until a grader is satisfied.',
    ignoreFocusOut: true,
  });
  if (pick === undefined) return undefined;
  if (pick === SKIP) return null;
  if (pick === WRITE) {
    const text = await vscode.window.showInputBox({
      title: 'Hangar: Rubric',
      prompt: 'The criteria the work must meet, e.g. "The tests pass; README documents the new flag"',
      ignoreFocusOut: true,
      validateInput: (v) => (v.trim() ? undefined : 'Write at least one criterion, or press Escape and pick No rubric.'),
    });
    return text?.trim() ? text : undefined;
  }
  const [uri] = (await vscode.window.showOpenDialog({ canSelectMany: false, openLabel: 'Use as Rubric', filters: { Rubric: ['md', 'txt', 'markdown'], 'All files': ['*'] } })) ?? [];
  return uri ? readFile(uri.fsPath, 'utf8') : undefined;
}

/** The session's first event: the task, or (with a rubric) the task as an outcome, checked by the wire's schema. */
export function firstEvent(task: string, rubric: string | null | undefined): EventParams {
  if (!rubric) return { type: 'user.message', content: [{ type: 'text', text: task }] };
  const parsed = UserDefineOutcomeParams.safeParse({ type: 'user.define_outcome', description: task, rubric: { type: 'text', content: rubric } });
  if (!parsed.success) throw new Error(`the rubric cannot be used: ${z.prettifyError(parsed.error).replace(/\n/g, ' ')}`);
  return parsed.data;
}
