import * as vscode from 'vscode';
import * as z from 'zod';
import type { RuntimeHost } from './runtime-host';
import type { SessionsModel } from './sessions-model';

// A session's event log as a read-only document, one event per line (JSON Lines): `hangar-log:/<id>.jsonl`. It is
// rendered from the log rather than opening events.jsonl itself, whose lines carry sequence and checksum framing
// and which must never be edited by hand.

export const LOG_SCHEME = 'hangar-log';

export function logUri(sessionId: string): vscode.Uri {
  return vscode.Uri.from({ scheme: LOG_SCHEME, path: `/${sessionId}.jsonl` });
}

const LogPath = z.string().regex(/^\/([A-Za-z0-9_-]{1,128})\.jsonl$/);

export class LogDocumentProvider implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private readonly subscription: vscode.Disposable;

  constructor(
    private readonly host: RuntimeHost,
    sessions: SessionsModel,
  ) {
    this.subscription = sessions.onDidChange((id) => {
      if (!id) return;
      const uri = logUri(id);
      if (vscode.workspace.textDocuments.some((d) => d.uri.toString() === uri.toString())) this.changed.fire(uri);
    });
  }

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const parsed = LogPath.safeParse(uri.path);
    if (!parsed.success) throw new Error(`Not a Hangar session log: ${uri.toString()}`);
    const id = uri.path.slice(1, -'.jsonl'.length);
    // A log left open after its session was deleted shows that instead of an error.
    const client = this.host.client;
    if (!(await client.retrieveSession(id).then(() => true, () => false))) return `Session ${id} no longer exists.\n`;
    const events = await client.sessionEvents(id);
    return events.map((e) => JSON.stringify(e)).join('\n') + (events.length ? '\n' : '');
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}
