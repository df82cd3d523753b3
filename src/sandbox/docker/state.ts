import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import * as z from 'zod';
import { SandboxLimits } from '../../wire/environment';
import { writeFileAtomic } from '../../log/fsutil';

// What the host remembers about a session's sandbox, so a restarted host process (or a new container after a death)
// finds the same volume, layer, image and settings. Written atomically; a missing or damaged file means "no sandbox".

const LifecycleCommand = z.object({ step: z.string(), argv: z.array(z.string()) });

// Settings stored before the lifecycle commands held only postCreateCommand's argv lists.
const withLifecycle = (raw: unknown) => {
  if (typeof raw !== 'object' || raw === null || 'lifecycle' in raw || !('postCreate' in raw)) return raw;
  const { postCreate, ...rest } = raw as { postCreate: unknown };
  const create = Array.isArray(postCreate) ? postCreate.map((argv: unknown) => ({ step: 'postCreateCommand', argv })) : [];
  return { ...rest, lifecycle: { create, start: [] } };
};

export const ContainerSettings = z.preprocess(withLifecycle, z.object({
  image: z.string(),
  user: z.string(),
  uid: z.number().int(),
  gid: z.number().int(),
  home: z.string(),
  env: z.array(z.string()),
  limits: SandboxLimits,
  networkMode: z.string(),
  /** The devcontainer's lifecycle commands: `create` once per session volume, `start` in every container started on it. */
  lifecycle: z.object({ create: z.array(LifecycleCommand), start: z.array(LifecycleCommand) }),
  /** Lines added to the container's /etc/passwd and /etc/group before it starts (the image lacks `user`). */
  account: z.object({ passwd: z.string(), group: z.string().nullable() }).nullable().default(null),
  /** The egress proxy CA's certificate, installed as root when a container starts (networked sandboxes only). */
  caCert: z.object({ pem: z.string(), path: z.string() }).nullable().default(null),
  /** Host paths bound into the container: file resources read-only, the session's outputs directory writable. */
  binds: z.array(z.object({ source: z.string(), target: z.string(), readOnly: z.boolean() })).default([]),
  /** A remote engine: the binds are copies sent through the archive API, the writable ones synced back (ship.ts). */
  shipBinds: z.boolean().default(false),
  /** Networking through a relay in the container over the engine connection (a remote engine, tunnel.ts). */
  tunnel: z.boolean().default(false),
}));
export type ContainerSettings = z.infer<typeof ContainerSettings>;

export const SessionState = z.object({
  version: z.literal(1),
  sessionId: z.string(),
  layerId: z.string(),
  mode: z.enum(['overlay', 'copy']),
  snapshotId: z.string().nullable(),
  repoPath: z.string().nullable(),
  volume: z.string(),
  settings: ContainerSettings,
  postCreateDone: z.boolean(),
  /** Copy mode: the repository was streamed in and the baseline recorded. */
  seeded: z.boolean(),
  containerId: z.string().nullable(),
  createdAt: z.string(),
  /** The engine the volume and container are on (engine.ts's label); null in states written before engines were named. */
  engine: z.string().nullable().default(null),
});
export type SessionState = z.infer<typeof SessionState>;

export function statePath(root: string, sessionId: string): string {
  return path.join(root, 'sessions', `${sessionId}.json`);
}

export async function readState(root: string, sessionId: string): Promise<SessionState | null> {
  try {
    const parsed = SessionState.safeParse(JSON.parse(await fs.readFile(statePath(root, sessionId), 'utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

export async function writeState(root: string, state: SessionState): Promise<void> {
  const file = statePath(root, state.sessionId);
  await fs.mkdir(path.dirname(file), { recursive: true });
  await writeFileAtomic(file, `${JSON.stringify(state, null, 2)}\n`);
}

export async function listStates(root: string): Promise<SessionState[]> {
  const names = await fs.readdir(path.join(root, 'sessions')).catch(() => [] as string[]);
  const states: SessionState[] = [];
  for (const n of names) {
    if (!n.endsWith('.json')) continue;
    const s = await readState(root, n.slice(0, -'.json'.length));
    if (s) states.push(s);
  }
  return states;
}

export async function removeState(root: string, sessionId: string): Promise<void> {
  await fs.rm(statePath(root, sessionId), { force: true });
}

export function newLayerId(): string {
  return `${Date.now().toString(36)}${randomBytes(4).toString('hex')}`;
}
