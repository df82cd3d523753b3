import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import type { Hangar } from '../../../src/extension/hangar';
import type { SessionPanel } from '../../../src/extension/panel/session-panel';
import type { HostMessage } from '../../../src/protocol/panel';
import { serveHangar, snapshotCli, stopServe, type ServeOptions, type Served } from '../../support/hangar-serve';
import { waitFor } from './support';

// What the detached-runtime extension tests share: a `hangar serve` child on a Hangar home of the test's (the scripted
// model behind it, the local sandbox; the CLI copied into that home, safe from other builds), stopping it, and a record
// of what a panel's host posts to its webview.

export type { Served };

export function serve(h: Hangar, home: string, modelUrl: string, opts: ServeOptions = {}): Promise<Served> {
  return serveHangar(snapshotCli(h.context.extensionPath, path.join(home, 'cli-snapshot')), home, modelUrl, opts);
}

export const stop = stopServe;

/** Points the window at the served runtime (hangar.runtime.url, the token through Hangar: Set Runtime Token); returns the token. */
export async function connectWindow(h: Hangar, served: Served, home: string): Promise<string> {
  const token = readFileSync(path.join(home, 'api-token'), 'utf8').trim();
  const started = new Promise<void>((resolve) => {
    const sub = h.host.onDidStart(() => (sub.dispose(), resolve()));
  });
  await vscode.workspace.getConfiguration('hangar').update('runtime.url', served.url, vscode.ConfigurationTarget.Global);
  if ((await vscode.commands.executeCommand('hangar.setRuntimeToken', token)) !== true) throw new Error('Hangar: Set Runtime Token did not take the token');
  await started;
  await waitFor('the window on the detached runtime', () => h.host.detached && h.host.client.where === served.url);
  return token;
}

/** Records what the host posts to the panel's webview from now on. */
export function spyPosts(panel: SessionPanel): HostMessage[] {
  const sent: HostMessage[] = [];
  const webview = panel.panel.webview;
  const post = webview.postMessage.bind(webview);
  webview.postMessage = (m: HostMessage) => (sent.push(m), post(m));
  return sent;
}
