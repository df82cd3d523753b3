import * as vscode from 'vscode';
import * as z from 'zod';
import { decodeText } from '../../review/session-review';
import type { RuntimeHost } from '../runtime-host';
import type { ReviewManager } from './review-manager';

// Read-only documents showing a session's sandbox copy: `hangar-sandbox:/<path>?session=<id>&side=current|baseline|empty|removed`.
// The path is the URI path so the editor picks the language from the file name. "empty" stands in for a side that
// does not exist in the workspace (a file the agent added); "removed" is the content of a file the agent deleted,
// the review document of that file (shown alone, like a new file's "current").

export const SANDBOX_SCHEME = 'hangar-sandbox';

const Query = z.object({
  session: z.string().regex(/^[A-Za-z0-9_-]{1,128}$/),
  side: z.enum(['current', 'baseline', 'empty', 'removed']),
});
export type SandboxSide = z.infer<typeof Query>['side'];

export function sandboxUri(sessionId: string, path: string, side: SandboxSide): vscode.Uri {
  return vscode.Uri.from({ scheme: SANDBOX_SCHEME, path: `/${path}`, query: new URLSearchParams({ session: sessionId, side }).toString() });
}

/** The sides a review is held in: the sandbox copy of a changed or new file, or a deleted file's old content. */
export function isReviewSide(side: SandboxSide): boolean {
  return side === 'current' || side === 'removed';
}

export function parseSandboxUri(uri: vscode.Uri): { sessionId: string; path: string; side: SandboxSide } | null {
  if (uri.scheme !== SANDBOX_SCHEME) return null;
  const q = Query.safeParse(Object.fromEntries(new URLSearchParams(uri.query)));
  const path = uri.path.replace(/^\/+/, '');
  if (!q.success || !path) return null;
  return { sessionId: q.data.session, path, side: q.data.side };
}

export class SandboxContentProvider implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private readonly subscription: vscode.Disposable;

  constructor(
    private readonly host: RuntimeHost,
    reviews: ReviewManager,
  ) {
    this.subscription = reviews.onDidChange((sessionId) => {
      for (const doc of vscode.workspace.textDocuments) {
        if (parseSandboxUri(doc.uri)?.sessionId === sessionId) this.changed.fire(doc.uri);
      }
    });
  }

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const parsed = parseSandboxUri(uri);
    if (!parsed) throw new Error(`Not a Hangar sandbox document: ${uri.toString()}`);
    if (parsed.side === 'empty') return '';
    const bytes = await this.host.client.readFile(parsed.sessionId, parsed.path, parsed.side === 'removed' ? 'baseline' : parsed.side);
    const text = decodeText(bytes);
    if (text === undefined) return `(binary or non-UTF-8 file, ${bytes?.length ?? 0} bytes: review it as a whole file)\n`;
    return text ?? '';
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}
