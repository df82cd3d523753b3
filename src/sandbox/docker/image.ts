import { extract } from 'tar-stream';
import type { Docker } from './client';
import { classifyEngineError, ImageMissingError, isNotFound } from './errors';
import { LABEL_MANAGED, LABEL_SESSION } from './names';

// What the provider needs to know about an image before it starts a container from it: its id, default user and
// environment, and the numeric uid/gid/home of the user the sandbox runs as (the snapshot's files must belong to
// it). The uid comes from the image's own /etc/passwd, read from a created (never started) container.

export interface ImageInfo {
  id: string;
  user: string;
  env: string[];
}

export interface UserInfo {
  uid: number;
  gid: number;
  home: string;
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

function parsePasswd(text: string, user: string): UserInfo | null {
  for (const line of text.split('\n')) {
    const [name, , uid, gid, , home] = line.split(':');
    if (name === user || uid === user) return { uid: Number(uid), gid: Number(gid), home: home || '/' };
  }
  return null;
}

async function readFileFromImage(docker: Docker, imageId: string, file: string): Promise<string | null> {
  const container = await docker.createContainer({ Image: imageId, Cmd: ['true'], Entrypoint: [], NetworkDisabled: true, Labels: { [LABEL_MANAGED]: '1', [LABEL_SESSION]: 'probe' } });
  try {
    const archive = await container.getArchive({ path: file });
    return await new Promise<string | null>((resolve, reject) => {
      const ex = extract();
      let text: string | null = null;
      ex.on('entry', (_h, stream, next) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: unknown) => chunks.push(c as Buffer));
        stream.on('end', () => {
          text ??= Buffer.concat(chunks).toString('utf8');
          next();
        });
        stream.resume();
      });
      ex.on('finish', () => resolve(text));
      ex.on('error', reject);
      archive.pipe(ex);
    });
  } catch (err) {
    if (isNotFound(err)) return null;
    throw err;
  } finally {
    await container.remove({ force: true }).catch(() => undefined);
  }
}

const userCache = new Map<string, Promise<UserInfo>>();

/** uid/gid/home of `user` (a name, a uid, or "uid:gid") in the image; root when the image names no user. */
export function resolveUser(docker: Docker, imageId: string, user: string): Promise<UserInfo> {
  const [name = '', group] = user.split(':');
  if (name === '' || name === 'root' || name === '0') return Promise.resolve({ uid: 0, gid: group ? Number(group) : 0, home: '/root' });
  const key = `${imageId}\0${user}`;
  let found = userCache.get(key);
  if (!found) {
    found = (async () => {
      const passwd = await readFileFromImage(docker, imageId, '/etc/passwd');
      const entry = passwd ? parsePasswd(passwd, name) : null;
      if (entry) return group && /^\d+$/.test(group) ? { ...entry, gid: Number(group) } : entry;
      if (/^\d+$/.test(name)) return { uid: Number(name), gid: group && /^\d+$/.test(group) ? Number(group) : Number(name), home: '/' };
      throw new Error(`the image has no user ${JSON.stringify(name)} in /etc/passwd; set remoteUser to a user the image has`);
    })();
    found.catch(() => userCache.delete(key));
    userCache.set(key, found);
  }
  return found;
}
