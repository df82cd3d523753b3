import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { pidAlive } from '../../log/file-lock';
import type { Docker } from './client';
import { removeContainer } from './container';
import { containerName, SessionId } from './names';

// Removing a session's container without making a one-shot CLI wait for it (the engine takes a few hundred ms to
// kill and remove one). Its id is first written under <root>/retired/, then a detached process removes every
// container listed there and deletes the entries, so the CLI exits at once. An entry that outlives its remover (the
// remover or the engine was killed) is removed by the next remover, or by the next provider in any process
// (sweepRetired). Only the containers named there are touched: their sessions already recorded that they have none.
//
// A CLI process that is killed (SIGKILL, a closed terminal) never retires its session's container. While it uses
// one it keeps <root>/held/<sessionId> with its pid; released, the entry goes. An entry whose process is gone is
// what a killed one left: the next provider's sweep removes the session's container (its files stay on its volume
// and layer, and the session gets a new container when it continues, as after any stopped container).

const CONTAINER_ID = /^[0-9a-f]{12,64}$/;

export function retiredDir(root: string): string {
  return path.join(root, 'retired');
}

/**
 * Records the containers as retired: from here on removing them is owed, whoever does it. Returns those it could not
 * record (not named by a full id), for the caller to remove itself.
 */
export async function markRetired(root: string, containerIds: readonly string[]): Promise<string[]> {
  const dir = retiredDir(root);
  await fs.mkdir(dir, { recursive: true });
  const left: string[] = [];
  for (const id of containerIds) {
    if (CONTAINER_ID.test(id)) await fs.writeFile(path.join(dir, id), '');
    else left.push(id);
  }
  return left;
}

// The detached remover: plain Node, no bundle or dependency (an HTTP DELETE per entry on the engine's socket); an
// entry goes once the engine says the container is gone (204) or was never there (404).
const REMOVER = `
const http = require('http'), fs = require('fs'), path = require('path');
const [socketPath, dir] = process.argv.slice(1);
for (const id of fs.readdirSync(dir)) {
  if (!/^[0-9a-f]{12,64}$/.test(id)) continue;
  const req = http.request({ socketPath, method: 'DELETE', path: '/containers/' + id + '?force=true' }, (res) => {
    res.resume();
    if (res.statusCode === 204 || res.statusCode === 404) fs.rmSync(path.join(dir, id), { force: true });
  });
  req.on('error', () => undefined);
  req.end();
}`;

/** The engine's local socket (unix or named pipe), or null when it is reached another way (TCP, SSH). */
export async function engineSocket(docker: Docker): Promise<string | null> {
  const modem = docker.modem as { getSocketPath?: () => Promise<string | undefined> };
  return (await modem.getSocketPath?.().catch(() => undefined)) ?? null;
}

/** Starts a detached process that removes every retired container; this process does not wait for it. */
export function removeRetiredDetached(socketPath: string, root: string): void {
  // In VS Code's extension host execPath is Electron, which runs as plain Node with this variable.
  const child = spawn(process.execPath, ['-e', REMOVER, socketPath, retiredDir(root)], { detached: true, stdio: 'ignore', env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' } });
  child.on('error', () => undefined);
  child.unref();
}

/** Removes, in this process, the retired containers a remover left behind; returns how many entries it cleared. */
export async function sweepRetired(docker: Docker, root: string): Promise<number> {
  const dir = retiredDir(root);
  let cleared = 0;
  for (const id of await fs.readdir(dir).catch(() => [] as string[])) {
    if (!CONTAINER_ID.test(id)) continue;
    await removeContainer(docker, id);
    await fs.rm(path.join(dir, id), { force: true });
    cleared++;
  }
  return cleared;
}

export function heldDir(root: string): string {
  return path.join(root, 'held');
}

/** Records that this process uses the session's container (a CLI's: it is removed when the process goes). */
export async function markHeld(root: string, sessionId: string): Promise<void> {
  await fs.mkdir(heldDir(root), { recursive: true });
  await fs.writeFile(path.join(heldDir(root), sessionId), String(process.pid));
}

/** The session's container is released (retired or kept for another process): no longer this process' to leave behind. */
export async function releaseHeld(root: string, sessionId: string): Promise<void> {
  await fs.rm(path.join(heldDir(root), sessionId), { force: true });
}

/** The pid in a held entry; null for an entry cut short by a kill (empty or partial): its writer is gone too. */
async function holder(file: string): Promise<number | null> {
  const text = await fs.readFile(file, 'utf8').catch(() => '');
  return /^\d+$/.test(text) ? Number(text) : null;
}

/** Removes the containers of sessions whose holding process died without releasing them; returns how many. */
export async function sweepAbandoned(docker: Docker, root: string): Promise<number> {
  let removed = 0;
  for (const name of await fs.readdir(heldDir(root)).catch(() => [] as string[])) {
    if (!SessionId.safeParse(name).success) continue;
    const file = path.join(heldDir(root), name);
    const pid = await holder(file);
    if (pid !== null && pidAlive(pid)) continue;
    await removeContainer(docker, containerName(root, name));
    // Unless another process took the session meanwhile (its entry names it now).
    if ((await holder(file)) === pid) await fs.rm(file, { force: true });
    removed++;
  }
  return removed;
}
