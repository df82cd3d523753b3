import fs from 'node:fs/promises';
import path from 'node:path';
import * as z from 'zod';
import { writeFileAtomic } from '../../log/fsutil';
import { agentUser, passwdEntry, type Accounts, type SandboxUser, type UserInfo } from './account';
import { readFromContainer } from './archive';
import type { Container, Docker } from './client';
import { classifyEngineError, ImageMissingError, isNotFound } from './errors';
import { LABEL_MANAGED, LABEL_SESSION } from './names';

// What the provider needs to know about an image before it starts a container from it: its id, default user and
// environment, and who the sandbox runs as. That is never root: the devcontainer's or the image's user when it is
// an unprivileged one, otherwise `agent`, added to the container's /etc/passwd when the image has no such user
// (account.ts). Users come from the image's own /etc/passwd and /etc/group, read from a created (never started)
// container once per image: an image id names the image's content, so what was read for it holds for good, and it is
// kept under <root>/images/ for the next process (a one-shot `hangar run` would otherwise make and remove a probe
// container before its first tool, 150-400 ms on a loaded engine).

export interface ImageInfo {
  id: string;
  user: string;
  env: string[];
}

export async function inspectImage(docker: Docker, ref: string): Promise<ImageInfo> {
  try {
    const info = await docker.getImage(ref).inspect();
    return { id: info.Id, user: info.Config?.User ?? '', env: info.Config?.Env ?? [] };
  } catch (err) {
    if (isNotFound(err)) throw new ImageMissingError(ref);
    throw classifyEngineError(err, { image: ref });
  }
}

async function probe<T>(docker: Docker, imageId: string, read: (c: Container) => Promise<T>): Promise<T> {
  const container = await docker.createContainer({ Image: imageId, Cmd: ['true'], Entrypoint: [], NetworkDisabled: true, Labels: { [LABEL_MANAGED]: '1', [LABEL_SESSION]: 'probe' } });
  try {
    return await read(container);
  } finally {
    await container.remove({ force: true }).catch(() => undefined);
  }
}

const accountsCache = new Map<string, Promise<Accounts>>();

const StoredAccounts = z.object({ passwd: z.string(), group: z.string() });

/** Where the accounts of `imageId` are kept, or null for an id that is not a content digest (nothing is kept). */
function accountsFile(root: string, imageId: string): string | null {
  return /^sha256:[0-9a-f]{64}$/.test(imageId) ? path.join(root, 'images', `${imageId.replace(':', '-')}.accounts.json`) : null;
}

/** The kept accounts; null when there are none or the file is not what this writes (it is then read and written again). */
async function keptAccounts(file: string): Promise<Accounts | null> {
  try {
    const parsed = StoredAccounts.safeParse(JSON.parse(await fs.readFile(file, 'utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

async function readAccounts(docker: Docker, imageId: string, root: string | null): Promise<Accounts> {
  const file = root ? accountsFile(root, imageId) : null;
  const kept = file ? await keptAccounts(file) : null;
  if (kept) return kept;
  const accounts = await probe(docker, imageId, async (c) => ({ passwd: (await readFromContainer(c, '/etc/passwd')) ?? '', group: (await readFromContainer(c, '/etc/group')) ?? '' }));
  if (file) await fs.mkdir(path.dirname(file), { recursive: true }).then(() => writeFileAtomic(file, JSON.stringify(accounts))).catch(() => undefined);
  return accounts;
}

function imageAccounts(docker: Docker, imageId: string, root: string | null): Promise<Accounts> {
  let found = accountsCache.get(imageId);
  if (!found) {
    found = readAccounts(docker, imageId, root);
    found.catch(() => accountsCache.delete(imageId));
    accountsCache.set(imageId, found);
  }
  return found;
}

const isRootName = (name: string) => name === '' || name === 'root' || name === '0';

/** uid/gid/home of `user` (a name, a uid, or "uid:gid") in the image; uid 0 for root or no user. */
function resolveUser(accounts: Accounts, user: string): UserInfo {
  const [name = '', group] = user.split(':');
  const numericGroup = group !== undefined && /^\d+$/.test(group) ? Number(group) : undefined;
  if (isRootName(name)) return { uid: 0, gid: numericGroup ?? 0, home: '/root' };
  const entry = passwdEntry(accounts.passwd, name);
  if (entry) return numericGroup === undefined ? entry : { ...entry, gid: numericGroup };
  if (/^\d+$/.test(name)) return { uid: Number(name), gid: numericGroup ?? Number(name), home: '/' };
  throw new Error(`the image has no user ${JSON.stringify(name)} in /etc/passwd; set remoteUser to a user the image has`);
}

/**
 * Who the sandbox runs as: `requested` (the devcontainer's remoteUser/containerUser, else the image's USER) unless
 * that is root, in which case the unprivileged `agent`. `root`: the provider's storage root, where images' accounts
 * are kept across processes (null: read them in this process only).
 */
export async function sandboxUser(docker: Docker, imageId: string, requested: string, root: string | null): Promise<SandboxUser> {
  const accounts = await imageAccounts(docker, imageId, root);
  const who = resolveUser(accounts, requested);
  return who.uid === 0 ? agentUser(accounts) : { user: requested, ...who, account: null };
}
