import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import type { Hangar } from '../../../src/extension/hangar';
import { startScriptedModel, type Reply, type Responder, type ScriptedModel } from '../../../src/model/scripted';
import type { SessionEvent } from '../../../src/wire';

// Helpers for tests running inside the extension host: the activated extension, a scripted model server that the
// `hangar.model.baseUrl` setting points at, and waiting on session logs.

export const EXTENSION_ID = 'hangar-dev.hangar';
export const TEST_KEY = 'sk-ant-test-0123456789';

export async function hangar(): Promise<Hangar> {
  const ext = vscode.extensions.getExtension<Hangar>(EXTENSION_ID);
  assert.ok(ext, `extension ${EXTENSION_ID} is not installed in this VS Code`);
  const h = ext.isActive ? ext.exports : await ext.activate();
  assert.ok(h?.host, 'activate() did not return the Hangar API');
  return h;
}

export function workspaceDir(): string {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the test workbench has no folder open');
  return folder.uri.fsPath;
}

/** Starts a scripted Messages API server and points Hangar at it (user settings, so the workspace stays clean). */
export async function scriptedModel(script: Reply[] | Responder): Promise<ScriptedModel> {
  const model = await startScriptedModel({ script });
  await vscode.workspace.getConfiguration('hangar').update('model.baseUrl', model.url, vscode.ConfigurationTarget.Global);
  return model;
}

export async function ensureKey(): Promise<void> {
  assert.equal(await vscode.commands.executeCommand('hangar.setApiKey', TEST_KEY), true);
}

export async function events(h: Hangar, sessionId: string): Promise<SessionEvent[]> {
  return (await h.host.runtime.sessions.listEvents(sessionId, { limit: 100_000 })).data;
}

/** Polls until `probe` returns a value other than undefined/false. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
}

/** Waits until the session has gone idle `count` times; returns its events. */
export async function waitForIdle(h: Hangar, sessionId: string, count = 1, timeoutMs = 30_000): Promise<SessionEvent[]> {
  return waitFor(`${count} idle event(s) in ${sessionId}`, async () => {
    const all = await events(h, sessionId);
    return all.filter((e) => e.type === 'session.status_idle').length >= count ? all : undefined;
  }, timeoutMs);
}

/** Starts an agent on the workspace through the command, as the palette would (minus the input boxes). */
export async function startAgent(h: Hangar, task: string, agentName = 'e2e-agent'): Promise<string> {
  const agentId = await vscode.commands.executeCommand<string>('hangar.newAgent', { name: agentName, model: 'claude-sonnet-5-5', tools: [{ type: 'agent_toolset_20260401' }] });
  assert.ok(agentId, 'hangar.newAgent returned no id');
  const sessionId = await vscode.commands.executeCommand<string>('hangar.startAgent', { agentId, task });
  assert.ok(sessionId, 'hangar.startAgent returned no session id');
  return sessionId;
}

export function texts(all: readonly SessionEvent[]): string[] {
  return all.flatMap((e) => (e.type === 'agent.message' ? e.content.map((c) => ('text' in c ? c.text : '')) : []));
}

/** Files under `dir` whose bytes contain `needle` (skips files over 20 MB). */
export function filesContaining(dir: string, needle: string): string[] {
  if (!existsSync(dir)) return [];
  const hits: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = path.join(d, name);
      const st = statSync(p, { throwIfNoEntry: false });
      if (!st) continue;
      if (st.isDirectory()) walk(p);
      else if (st.isFile() && st.size < 20_000_000 && readFileSync(p).includes(needle)) hits.push(p);
    }
  };
  walk(dir);
  return hits;
}

/**
 * Saves `doc` and asserts it was saved. VS Code (1.100) refuses a save that arrives while another save of the same
 * document runs its save participants (it takes it for a participant saving again) and returns false; the web
 * workbench auto-saves after a delay by default (files.autoSave: afterDelay), so under load the test's save can meet
 * an auto save (seen in the window's trace: "refusing to save() recursively from save participant"). That save then
 * writes the document, so a refused save waits for the document to be saved. A failure says what the document went
 * through.
 */
export async function saveExpectingSuccess(doc: vscode.TextDocument, timeoutMs = 10_000): Promise<void> {
  const seen = [`before: version ${doc.version}, ${doc.isDirty ? 'dirty' : 'clean'}`];
  const changes = vscode.workspace.onDidChangeTextDocument((e) => {
    if (e.document === doc) seen.push(`changed to version ${doc.version} (${e.contentChanges.length} changes, reason ${e.reason ?? 'none'})`);
  });
  const saves = vscode.workspace.onDidSaveTextDocument((d) => void (d === doc && seen.push(`saved at version ${d.version}`)));
  try {
    const saved = await doc.save();
    seen.push(`save() ${saved ? 'saved' : 'refused'}: version ${doc.version}, ${doc.isDirty ? 'dirty' : 'clean'}`);
    const deadline = Date.now() + timeoutMs;
    while (!saved && doc.isDirty && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(doc.isDirty, false, `the document was not saved: ${seen.join('; ')}`);
  } finally {
    changes.dispose();
    saves.dispose();
  }
}
