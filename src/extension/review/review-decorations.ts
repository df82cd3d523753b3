import * as vscode from 'vscode';
import type { ReviewedFile, ReviewedHunk } from '../../review/session-review';
import type { ReviewManager } from './review-manager';
import { hunkLine } from './review-editor';
import { isReviewSide, parseSandboxUri } from './sandbox-content';

// Marks the hunks in the sandbox side of a review, visible with VS Code's default settings (CodeLens in diff editors
// is off by default, so the lenses alone would leave a first review without any cue): beside each hunk's first line
// (after its code) a label with its number, state and keys; pending hunks get a bar and an overview-ruler mark; rejected hunks are
// dimmed (they stay in the diff, since they never reach the workspace); a new file, shown alone rather than against
// an empty document, is tinted as inserted, and a deleted file's old content, shown alone too, as removed. Hovering a hunk offers its actions as links.

/** The default keybindings (package.json `contributes.keybindings`), as the hints show them. */
const KEYS =
  process.platform === 'darwin'
    ? { accept: '⌥⌘Y', reject: '⌥⌘N' }
    : { accept: 'Ctrl+Alt+Y', reject: 'Ctrl+Alt+N' };

const HUNK_COMMANDS = ['hangar.acceptHunk', 'hangar.rejectHunk', 'hangar.resetHunk'];

export class ReviewDecorations implements vscode.Disposable {
  private readonly pendingLabel = vscode.window.createTextEditorDecorationType({
    after: { margin: '0 0 0 2em', color: new vscode.ThemeColor('badge.foreground'), backgroundColor: new vscode.ThemeColor('badge.background') },
  });
  private readonly decidedLabel = vscode.window.createTextEditorDecorationType({
    after: { margin: '0 0 0 2em', color: new vscode.ThemeColor('editorCodeLens.foreground'), fontStyle: 'italic' },
  });
  private readonly pendingLines = vscode.window.createTextEditorDecorationType({
    isWholeLine: true,
    borderStyle: 'solid',
    borderWidth: '0 0 0 3px',
    borderColor: new vscode.ThemeColor('editorWarning.foreground'),
    overviewRulerColor: new vscode.ThemeColor('editorOverviewRuler.warningForeground'),
    overviewRulerLane: vscode.OverviewRulerLane.Left,
  });
  private readonly rejectedLines = vscode.window.createTextEditorDecorationType({ isWholeLine: true, opacity: '0.5' });
  /** No style: carries each hunk's hover (its actions) over its lines. */
  private readonly hunkHovers = vscode.window.createTextEditorDecorationType({});
  private readonly insertedLines = vscode.window.createTextEditorDecorationType({
    isWholeLine: true,
    backgroundColor: new vscode.ThemeColor('diffEditor.insertedLineBackground'),
    overviewRulerColor: new vscode.ThemeColor('editorOverviewRuler.addedForeground'),
    overviewRulerLane: vscode.OverviewRulerLane.Full,
  });
  private readonly removedLines = vscode.window.createTextEditorDecorationType({
    isWholeLine: true,
    backgroundColor: new vscode.ThemeColor('diffEditor.removedLineBackground'),
    overviewRulerColor: new vscode.ThemeColor('editorOverviewRuler.deletedForeground'),
    overviewRulerLane: vscode.OverviewRulerLane.Full,
  });
  /** The hunk labels last painted per sandbox document (tests read them: decorations cannot be read back). */
  readonly shown = new Map<string, string[]>();
  private readonly disposables: vscode.Disposable[];
  private readonly generations = new WeakMap<vscode.TextEditor, number>();

  constructor(private readonly reviews: ReviewManager) {
    this.disposables = [
      vscode.window.onDidChangeVisibleTextEditors((editors) => editors.forEach((e) => void this.paint(e))),
      reviews.onDidChange((sessionId) => {
        for (const e of vscode.window.visibleTextEditors) if (parseSandboxUri(e.document.uri)?.sessionId === sessionId) void this.paint(e);
      }),
      // A sandbox document's text is replaced when the agent writes the file again; its hunks move with it.
      vscode.workspace.onDidChangeTextDocument((ev) => {
        for (const e of vscode.window.visibleTextEditors) if (e.document === ev.document) void this.paint(e);
      }),
    ];
    vscode.window.visibleTextEditors.forEach((e) => void this.paint(e));
  }

  private async paint(editor: vscode.TextEditor): Promise<void> {
    const target = parseSandboxUri(editor.document.uri);
    if (!target || !isReviewSide(target.side)) return;
    const generation = (this.generations.get(editor) ?? 0) + 1;
    this.generations.set(editor, generation);
    const file = await this.reviews.file(target.sessionId, target.path).catch(() => undefined);
    if (this.generations.get(editor) !== generation) return;
    const lineCount = editor.document.lineCount;
    const hunks = file?.perHunk ? file.hunks : [];
    const labels = hunks.map((h) => label(file!, h, editor.document));
    editor.setDecorations(this.pendingLabel, labels.filter((_, i) => hunks[i]!.status === 'pending'));
    editor.setDecorations(this.decidedLabel, labels.filter((_, i) => hunks[i]!.status !== 'pending'));
    this.shown.set(editor.document.uri.toString(), labels.map((l) => l.renderOptions?.after?.contentText?.trim() ?? ''));
    editor.setDecorations(this.pendingLines, hunks.filter((h) => h.status === 'pending').map((h) => linesOf(h, lineCount)));
    editor.setDecorations(this.hunkHovers, hunks.map((h) => ({ range: linesOf(h, lineCount), hoverMessage: actionsHover(target.sessionId, file!, h) })));
    editor.setDecorations(this.rejectedLines, hunks.filter((h) => h.status === 'rejected' && h.added.length > 0).map((h) => linesOf(h, lineCount)));
    const added = file?.change.status === 'added' && file.baseline === null && editor.document.getText().length > 0;
    editor.setDecorations(this.insertedLines, added ? [new vscode.Range(0, 0, lineCount - 1, 0)] : []);
    const removed = target.side === 'removed' && file?.change.status === 'deleted';
    editor.setDecorations(this.removedLines, removed ? [new vscode.Range(0, 0, lineCount - 1, 0)] : []);
  }

  dispose(): void {
    this.disposables.forEach((d) => d.dispose());
    [this.pendingLabel, this.decidedLabel, this.pendingLines, this.rejectedLines, this.hunkHovers, this.insertedLines, this.removedLines].forEach((d) => d.dispose());
  }
}

function label(file: ReviewedFile, h: ReviewedHunk, doc: vscode.TextDocument): vscode.DecorationOptions {
  const line = hunkLine(h, doc.lineCount);
  const name = hunkName(file, h);
  const text =
    h.status === 'pending'
      ? ` ${name}: Accept ${KEYS.accept} · Reject ${KEYS.reject} `
      : h.status === 'accepted'
        ? `${name} accepted: it is in your workspace file`
        : `${name} rejected: it stays out of your workspace`;
  // At the end of the line, after the code.
  const end = doc.lineAt(line).range.end;
  return { range: new vscode.Range(end, end), renderOptions: { after: { contentText: text } } };
}

function linesOf(h: ReviewedHunk, lineCount: number): vscode.Range {
  const first = hunkLine(h, lineCount);
  return new vscode.Range(first, 0, Math.min(lineCount - 1, first + Math.max(0, h.added.length - 1)), 0);
}

function hunkName(file: ReviewedFile, h: ReviewedHunk): string {
  return `Hunk ${h.index + 1}/${file.hunks.length}`;
}

function actionsHover(sessionId: string, file: ReviewedFile, h: ReviewedHunk): vscode.MarkdownString {
  const link = (command: string, title: string) => `[${title}](command:${command}?${encodeURIComponent(JSON.stringify([{ sessionId, path: file.path, hunkId: h.id }]))})`;
  const md = new vscode.MarkdownString(undefined, true);
  md.isTrusted = { enabledCommands: HUNK_COMMANDS };
  md.appendMarkdown(`**${hunkName(file, h)}** · ${h.status}\n\n`);
  md.appendMarkdown(h.status === 'pending' ? `${link('hangar.acceptHunk', '$(check) Accept')} · ${link('hangar.rejectHunk', '$(close) Reject')}` : link('hangar.resetHunk', '$(discard) Mark pending again'));
  return md;
}
