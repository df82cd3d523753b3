import * as vscode from 'vscode';
import * as z from 'zod';
import { guarded } from '../commands/args';
import type { Hangar } from '../hangar';
import { RUNTIME_TOKEN_KEY } from './runtime-target';

// Hangar: Set Runtime Token: the token of the detached runtime `hangar.runtime.url` names, kept in SecretStorage
// (never in settings), then the window reconnects with it. A token is what `hangar serve` wrote to the api-token file
// of its Hangar home.

const Token = z.string().trim().min(8, 'A runtime token is the whole content of the api-token file (hgr_…).').regex(/^\S+$/, 'A runtime token has no spaces.');

export function registerRuntimeCommands(h: Hangar): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand(
      'hangar.setRuntimeToken',
      guarded(h, 'hangar.setRuntimeToken', async (arg?: unknown) => {
        const given = typeof arg === 'string' ? arg : await vscode.window.showInputBox({
          title: 'Hangar: Set Runtime Token',
          prompt: 'The token of the runtime in hangar.runtime.url: the api-token file in that runtime\'s Hangar home (hangar serve prints where).',
          password: true,
          ignoreFocusOut: true,
          validateInput: (v) => (Token.safeParse(v).success ? null : Token.safeParse(v).error?.issues[0]?.message),
        });
        if (given === undefined) return false;
        const token = Token.parse(given);
        await h.host.vault.set(RUNTIME_TOKEN_KEY, token);
        h.log.info('runtime token saved in secret storage');
        // In-process, the token waits for hangar.runtime.url; a detached runtime reconnects with it now.
        if (h.host.detached) await h.host.restart();
        return true;
      }),
    ),
  ];
}
