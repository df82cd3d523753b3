import * as vscode from 'vscode';
import * as z from 'zod';
import { sdkSnippet } from '../api-server';
import { readSettings } from '../config';
import type { Hangar } from '../hangar';
import { guarded } from './args';

// Hangar: Start Local API Server / Stop Local API Server. The notification offers the token and an SDK snippet for
// the clipboard; the token never appears in a message or the log.

const StartArgs = z.object({ port: z.number().int().min(0).max(65_535).optional(), quiet: z.boolean().optional() });

export function registerApiCommands(h: Hangar): vscode.Disposable[] {
  const reg = (id: string, run: (...args: unknown[]) => Promise<unknown>) => vscode.commands.registerCommand(id, guarded(h, id, run));
  return [
    reg('hangar.startApiServer', async (arg) => {
      const given = StartArgs.safeParse(arg ?? {});
      if (!given.success) throw new Error(`invalid arguments: ${z.prettifyError(given.error)}`);
      const port = given.data.port ?? readSettings().apiPort;
      const running = await h.api.start(port);
      if (!given.data.quiet) void offer(h, running.url);
      return running;
    }),
    reg('hangar.stopApiServer', async () => {
      const stopped = await h.api.stop();
      void vscode.window.showInformationMessage(stopped ? 'Hangar: local API server stopped.' : 'Hangar: the local API server is not running.');
      return stopped;
    }),
  ];
}

async function offer(h: Hangar, url: string): Promise<void> {
  const answer = await vscode.window.showInformationMessage(
    `Hangar: the Managed Agents API of this workspace is on ${url} (loopback only; requests need the token).`,
    'Copy Token',
    'Copy SDK Snippet',
    'Stop',
  );
  const running = h.api.running;
  if (answer === 'Stop') await vscode.commands.executeCommand('hangar.stopApiServer');
  else if (answer === 'Copy Token' && h.api.token()) {
    await vscode.env.clipboard.writeText(h.api.token()!);
    void vscode.window.showInformationMessage('Hangar: token copied. Send it as "x-api-key" or "Authorization: Bearer".');
  } else if (answer === 'Copy SDK Snippet' && running) {
    await vscode.env.clipboard.writeText(sdkSnippet(running));
    void vscode.window.showInformationMessage('Hangar: SDK snippet copied (it reads the token from its file).');
  }
}
