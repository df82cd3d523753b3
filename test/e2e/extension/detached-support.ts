import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import type { Hangar } from '../../../src/extension/hangar';
import type { SessionPanel } from '../../../src/extension/panel/session-panel';
import type { HostMessage } from '../../../src/protocol/panel';
import { waitFor } from './support';

// What the detached-runtime extension tests share: a `hangar serve` child on a Hangar home of the test's (the scripted
// model behind it, the local sandbox), stopping it, and a record of what a panel's host posts to its webview.

export interface Served {
  child: ChildProcess;
  url: string;
  exited: Promise<unknown>;
}

export function serve(h: Hangar, home: string, modelUrl: string, port = 0): Promise<Served> {
  const cli = path.join(h.context.extensionPath, 'bin', 'hangar.js');
  const env = { PATH: process.env.PATH, HOME: home, HANGAR_HOME: home, HANGAR_SANDBOX: 'local', ANTHROPIC_API_KEY: 'sk-ant-test-detached', ANTHROPIC_BASE_URL: modelUrl };
  const child = spawn(process.execPath, [cli, '--json', 'serve', '--port', String(port), '--warm-pool', '0'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  let out = '';
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('\n')) resolve({ child, exited, url: (JSON.parse(out.slice(0, out.indexOf('\n'))) as { url: string }).url });
    });
    void exited.then((code) => reject(new Error(`hangar serve exited ${String(code)}: ${err}`)));
  });
}

export async function stop(s: Served | undefined): Promise<void> {
  if (!s || s.child.exitCode !== null) return;
  s.child.kill('SIGTERM');
  await s.exited;
}

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
