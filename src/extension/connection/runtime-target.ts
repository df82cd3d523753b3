import { readFile } from 'node:fs/promises';
import * as vscode from 'vscode';
import * as z from 'zod';
import { RuntimeConnectionError, checkRuntimeUrl, type RuntimeTarget } from '../../remote/connect';
import { discoverRuntime } from '../../remote/discovery';
import { defaultHangarHome } from '../../remote/hangar-home';
import type { Vault } from '../../vault/types';

// Which runtime this window uses (`hangar.runtime.*`, the same choices as the CLI's --runtime/--token/--pin/--ca):
// none set is the in-process runtime; "detached" is the `hangar serve` announced in the Hangar home's runtime.json
// (its URL, token and certificate fingerprint); a URL is that runtime, with the token from SecretStorage (Hangar: Set
// Runtime Token) and the certificate trusted through the pin or the CA file.

/** The SecretStorage key (in the extension's vault) of the token for `hangar.runtime.url`. */
export const RUNTIME_TOKEN_KEY = 'hangar.runtime.token';

const RuntimeSettings = z.object({
  url: z.string().trim().catch(''),
  certificatePin: z.string().trim().catch(''),
  caFile: z.string().trim().catch(''),
});

/** `hangar.runtime.*` settings that reconnect the window when changed. */
export const RUNTIME_SETTINGS = ['hangar.runtime.url', 'hangar.runtime.certificatePin', 'hangar.runtime.caFile'];

/** The detached runtime the settings choose, or null for the in-process one. Throws a sentence naming the setting to fix. */
export async function runtimeTarget(vault: Vault): Promise<RuntimeTarget | null> {
  const c = vscode.workspace.getConfiguration('hangar.runtime');
  const s = RuntimeSettings.parse({ url: c.get('url'), certificatePin: c.get('certificatePin'), caFile: c.get('caFile') });
  if (s.url === '') return null;
  if (s.url === 'detached') {
    const home = defaultHangarHome();
    const found = await discoverRuntime(home);
    if (!found) throw new RuntimeConnectionError(`No detached runtime runs on ${home} (no runtime.json of a live hangar serve). Start one with "hangar serve", or clear the setting hangar.runtime.url to use the in-process runtime.`, 'unreachable');
    return { url: found.url, token: found.token, trust: found.fingerprint256 ? { pin: s.certificatePin || found.fingerprint256 } : {} };
  }
  checkRuntimeUrl(s.url);
  const token = await vault.get(RUNTIME_TOKEN_KEY);
  if (!token) throw new RuntimeConnectionError(`The runtime at ${s.url} needs its token: run "Hangar: Set Runtime Token" with the api-token file of that runtime's Hangar home.`, 'token');
  const ca = s.caFile === '' ? undefined : await readFile(s.caFile, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new RuntimeConnectionError(`Cannot read the CA file ${s.caFile} (setting hangar.runtime.caFile): ${err.code ?? err.message}.`, 'certificate');
  });
  return { url: s.url, token, trust: { ...(ca === undefined ? {} : { ca }), ...(s.certificatePin ? { pin: s.certificatePin } : {}) } };
}
