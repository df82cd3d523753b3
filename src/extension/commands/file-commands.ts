import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as vscode from 'vscode';
import * as z from 'zod';
import type { FileMetadata, FileResourceParams } from '../../wire';
import type { Hangar } from '../hangar';
import { guarded, resolveSession, sessionOf } from './args';

// Files in and out of sessions: attach files (explorer selection, a file picker, or the editor's selection saved as a
// file) to a running session, or start a new one with them; open and save the outputs its agent left in
// /mnt/session/outputs/ (listed under the session in the Sessions tree).

const OutputArg = z.looseObject({ sessionId: z.string(), fileId: z.string().min(1) });
const AttachArgs = z.looseObject({ sessionId: z.string().optional(), paths: z.array(z.string().min(1)).min(1) });
/** The pick that starts a new session instead of attaching to one. */
const NEW_SESSION = '$(add) New session with these files…';

export function registerFileCommands(h: Hangar): vscode.Disposable[] {
  const reg = (id: string, run: (...args: unknown[]) => Promise<unknown>) => vscode.commands.registerCommand(id, guarded(h, id, run));
  return [
    reg('hangar.attachFiles', async (arg, selected) => {
      const paths = await pathsOf(arg, selected);
      if (!paths || paths.length === 0) return undefined;
      const given = AttachArgs.safeParse(arg).data?.sessionId ?? sessionOf(arg);
      return attach(h, given, paths);
    }),
    reg('hangar.attachSelection', async (arg) => {
      const editor = vscode.window.activeTextEditor;
      if (!editor || editor.selection.isEmpty) {
        void vscode.window.showWarningMessage('Hangar: select the text to attach first.');
        return undefined;
      }
      const dir = await mkdtemp(path.join(os.tmpdir(), 'hangar-selection-'));
      try {
        const source = editor.document.uri.scheme === 'file' ? path.parse(editor.document.uri.fsPath) : { name: 'selection', ext: '.txt' };
        const { start, end } = editor.selection;
        const file = path.join(dir, `${source.name}-lines-${start.line + 1}-${end.line + 1}${source.ext || '.txt'}`);
        await writeFile(file, editor.document.getText(editor.selection));
        return await attach(h, sessionOf(arg), [file]);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }),
    reg('hangar.openOutput', async (arg) => {
      const output = await outputOf(h, arg, 'Open which output?');
      if (!output) return undefined;
      // A copy under its own name, so the editor knows its type; the Files API keeps the original.
      const dir = path.join(os.tmpdir(), 'hangar-outputs', output.id);
      await mkdir(dir, { recursive: true });
      const copy = path.join(dir, path.basename(output.filename));
      await h.host.client.saveFile(output.id, copy);
      await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(copy), { preview: true });
      return copy;
    }),
    reg('hangar.saveOutput', async (arg, target) => {
      const output = await outputOf(h, arg, 'Save which output?');
      if (!output) return undefined;
      const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
      const to =
        target instanceof vscode.Uri
          ? target
          : await vscode.window.showSaveDialog({ title: `Hangar: Save ${output.filename}`, defaultUri: folder ? vscode.Uri.joinPath(folder, path.basename(output.filename)) : undefined });
      if (!to) return undefined;
      await h.host.client.saveFile(output.id, to.fsPath);
      return to.fsPath;
    }),
  ];
}

/** Files from the explorer (the clicked one, or all selected), a {paths} argument, or a file picker. */
async function pathsOf(arg: unknown, selected: unknown): Promise<string[] | undefined> {
  if (Array.isArray(selected) && selected.every((u) => u instanceof vscode.Uri)) return (selected as vscode.Uri[]).map((u) => u.fsPath);
  if (arg instanceof vscode.Uri && arg.scheme === 'file') return [arg.fsPath];
  const given = AttachArgs.safeParse(arg);
  if (given.success) return given.data.paths;
  const picked = await vscode.window.showOpenDialog({ title: 'Hangar: Attach Files', canSelectMany: true, canSelectFiles: true, canSelectFolders: false, openLabel: 'Attach' });
  return picked?.map((u) => u.fsPath);
}

/**
 * Uploads the files (with progress) and attaches them to the session; without one, asks which, offering a new session
 * started with them. The session's id, or undefined when the user backed out.
 */
async function attach(h: Hangar, sessionId: string | undefined, paths: readonly string[]): Promise<string | undefined> {
  let id = sessionId;
  if (!id) {
    const choice = await vscode.window.showQuickPick([NEW_SESSION, '$(list-selection) An existing session…'], { title: `Hangar: Attach ${describe(paths)}` });
    if (!choice) return undefined;
    if (choice === NEW_SESSION) return vscode.commands.executeCommand<string | undefined>('hangar.startAgent', { files: [...paths] });
    id = await resolveSession(h, undefined, 'Attach to which session?');
    if (!id) return undefined;
  }
  const target = id;
  await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Hangar: attaching ${describe(paths)}`, cancellable: false }, async (progress) => {
    for (const params of await uploadWithProgress(h, paths, progress)) await h.host.client.attachFile(target, params);
  });
  h.sessionsTree.refresh();
  void vscode.window.showInformationMessage(`Hangar: attached ${describe(paths)}; the agent is told with your next message.`);
  return target;
}

/** Uploads files into the Files API, reporting each; used for new sessions too. */
export async function uploadWithProgress(h: Hangar, paths: readonly string[], progress: vscode.Progress<{ message?: string; increment?: number }>): Promise<FileResourceParams[]> {
  const out: FileResourceParams[] = [];
  for (const p of paths) {
    progress.report({ message: `uploading ${path.basename(p)}`, increment: 100 / paths.length });
    out.push({ type: 'file', file_id: (await h.host.client.uploadFile(p)).id });
  }
  return out;
}

async function outputOf(h: Hangar, arg: unknown, placeHolder: string): Promise<FileMetadata | undefined> {
  const given = OutputArg.safeParse(arg);
  if (given.success) return h.host.client.retrieveFile(given.data.fileId);
  const sessionId = await resolveSession(h, arg, placeHolder);
  if (!sessionId) return undefined;
  const outputs = await h.host.client.listOutputs(sessionId);
  if (outputs.length === 0) {
    void vscode.window.showInformationMessage('Hangar: this session has no outputs yet; its agent leaves them in /mnt/session/outputs/.');
    return undefined;
  }
  const pick = await vscode.window.showQuickPick(outputs.map((o) => ({ label: o.filename, description: `${o.size_bytes} bytes`, output: o })), { placeHolder });
  return pick?.output;
}

function describe(paths: readonly string[]): string {
  return paths.length === 1 ? path.basename(paths[0]!) : `${paths.length} files`;
}
