import { readFromContainer, writeToContainer } from './archive';
import type { Container } from './client';

// The unprivileged user a sandbox falls back to when its image would run it as root. Images that have no `agent`
// get one: a line appended to the container's /etc/passwd (and /etc/group) and a home directory it owns, written
// through the engine's archive API into the created container before it starts, so Config.User can name it.

export const AGENT_USER = 'agent';
const AGENT_HOME = `/home/${AGENT_USER}`;
/** Where an added agent's ids start: the first id distributions give to regular users. */
const FIRST_REGULAR_ID = 1000;

/** An image's /etc/passwd and /etc/group ('' when it has none). */
export interface Accounts {
  passwd: string;
  group: string;
}

export interface UserInfo {
  uid: number;
  gid: number;
  home: string;
}

/** Lines a container's /etc/passwd and /etc/group get when its image lacks the sandbox user (group: null if it has it). */
export interface AddedAccount {
  passwd: string;
  group: string | null;
}

export interface SandboxUser extends UserInfo {
  /** What the container runs as (Config.User and every exec). */
  user: string;
  account: AddedAccount | null;
}

function fields(text: string): string[][] {
  return text.split('\n').filter(Boolean).map((line) => line.split(':'));
}

/** The passwd entry whose name or uid is `user`. */
export function passwdEntry(passwd: string, user: string): UserInfo | null {
  const entry = fields(passwd).find(([name, , uid]) => name === user || uid === user);
  return entry ? { uid: Number(entry[2]), gid: Number(entry[3]), home: entry[5] || '/' } : null;
}

/** The image's `agent`, or a new one on the first id from 1000 up that neither /etc/passwd nor /etc/group uses. */
export function agentUser(accounts: Accounts): SandboxUser {
  const existing = passwdEntry(accounts.passwd, AGENT_USER);
  if (existing) {
    if (existing.uid === 0) throw new Error(`the image's user ${AGENT_USER} is root (uid 0); Hangar runs sandboxes unprivileged: set remoteUser in devcontainer.json to a user that is not root`);
    return { user: AGENT_USER, ...existing, account: null };
  }
  const taken = new Set([...fields(accounts.passwd), ...fields(accounts.group)].map((f) => Number(f[2])));
  let id = FIRST_REGULAR_ID;
  while (taken.has(id)) id++;
  const group = fields(accounts.group).find(([name]) => name === AGENT_USER);
  const gid = group ? Number(group[2]) : id;
  return {
    user: AGENT_USER,
    uid: id,
    gid,
    home: AGENT_HOME,
    account: { passwd: `${AGENT_USER}:x:${id}:${gid}:Hangar agent:${AGENT_HOME}:/bin/sh`, group: group ? null : `${AGENT_USER}:x:${gid}:` },
  };
}

function appendLine(text: string | null, line: string): string {
  const before = text ?? '';
  return `${before}${before && !before.endsWith('\n') ? '\n' : ''}${line}\n`;
}

/** Adds the account and its home to a created (not yet started) container. */
export async function installAccount(container: Container, account: AddedAccount, who: UserInfo): Promise<void> {
  const [passwd, group] = await Promise.all([readFromContainer(container, '/etc/passwd'), readFromContainer(container, '/etc/group')]);
  await writeToContainer(container, [
    { name: 'etc/passwd', mode: 0o644, uid: 0, gid: 0, content: appendLine(passwd, account.passwd) },
    ...(account.group ? [{ name: 'etc/group', mode: 0o644, uid: 0, gid: 0, content: appendLine(group, account.group) }] : []),
    { name: `${who.home.replace(/^\/+/, '')}/`, mode: 0o755, uid: who.uid, gid: who.gid },
  ]);
}
