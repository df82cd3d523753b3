import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Workbench } from './workbench-page';

// The steps several UI suites start with, through the UI only: the API key saved in secret storage, then an agent made
// with the New Agent wizard's defaults (bash asks first; the other tools run without asking); or, for what VS Code has
// no editor for (a coordinator's roster), the local API server started from the palette and a client of it.

const API_KEY = 'sk-ant-ui-test-0123456789';

async function setKey(wb: Workbench): Promise<void> {
  await wb.command('Hangar: Set API Key');
  await wb.answer('Set API Key', API_KEY);
  await wb.notification('API key saved in secret storage');
  await wb.clearNotifications();
}

export async function setKeyAndNewAgent(wb: Workbench, agent: string): Promise<void> {
  await setKey(wb);
  await wb.command('Hangar: New Agent');
  await wb.answer('(1/5)', agent);
  for (const step of ['(2/5)', '(3/5)', '(4/5)', '(5/5)']) await wb.accept(step);
  await wb.notification(`created agent ${agent}`);
  await wb.clearNotifications();
}

/** Starts the agent on the workspace's repository from the palette with the task typed into the task box. */
export async function startAgentWithTask(wb: Workbench, agent: string, task: string): Promise<void> {
  await wb.command('Hangar: Start Agent on This Repository');
  await wb.pick(agent);
  await wb.answer('What should the agent do?', task);
}

type Json = Record<string, unknown> & { id: string };
export type ApiPost = (route: string, body: unknown) => Promise<Json>;

/** Saves the API key, starts the local API server from the palette and returns a client of it (the token from its file). */
export async function setKeyAndStartApi(wb: Workbench, userData: string): Promise<ApiPost> {
  await setKey(wb);
  await wb.command('Hangar: Start Local API Server');
  const toast = await wb.notification(/Managed Agents API of this workspace is on http/);
  const url = /(http:\/\/127\.0\.0\.1:\d+)/.exec((await toast.textContent()) ?? '')?.[1];
  assert.ok(url, 'the notification names the server');
  await wb.clearNotifications();
  return apiClient(url, findFile(userData, 'api-token'));
}

/** A session of `agent` on the workspace's repository in an environment of its own, started with `task`: its id. */
export async function startApiSession(api: ApiPost, agent: string, title: string, task: string, workspace: string): Promise<string> {
  const env = await api('/v1/environments', { name: `ui-${agent}` });
  const session = await api('/v1/sessions', { agent, environment_id: env.id, title, resources: [{ type: 'local_repository', path: workspace }] });
  await api(`/v1/sessions/${session.id}/events`, { events: [{ type: 'user.message', content: [{ type: 'text', text: task }] }] });
  return session.id;
}

/** POSTs to the local API with its token, as any client would; a refusal fails the test with the API's words. */
function apiClient(url: string, tokenFile: string): ApiPost {
  const token = readFileSync(tokenFile, 'utf8').trim();
  return async (route, body) => {
    const res = await fetch(`${url}${route}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': token }, body: JSON.stringify(body) });
    const json = (await res.json()) as Json;
    if (!res.ok) throw new Error(`POST ${route}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
}

/** The first file named `name` under `dir` (the API token sits in the extension's storage, under the user data dir). */
function findFile(dir: string, name: string): string {
  for (const entry of readdirSync(dir)) {
    const p = path.join(dir, entry);
    const st = statSync(p, { throwIfNoEntry: false });
    if (st?.isFile() && entry === name) return p;
    if (st?.isDirectory()) {
      try {
        return findFile(p, name);
      } catch {
        // not in this directory
      }
    }
  }
  throw new Error(`no ${name} under ${dir}`);
}
