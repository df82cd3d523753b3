import { createHash } from 'node:crypto';
import { writeToContainer } from './archive';
import { execCollect, type Container, type Docker } from './client';
import { envRecord } from './devcontainer-settings';
import { buildDerived, derivedImage, FEATURES_KIND, type BaseImage, type DerivedBuild } from './derived-image';
import { DevcontainerError } from './errors';
import type { ResolvedFeature } from './features';

// The devcontainer's features as a derived image (derived-image.ts) on top of its image: each feature's folder copied
// into a root build container and its install.sh run there in install order, with its options and the spec's
// _REMOTE_USER/_CONTAINER_USER(_HOME) variables, through the egress proxy under the session's policy; each feature's
// containerEnv set before its install (later features see it too) and kept in the image. Cached by content: the base
// image id, each feature's digest (its files, or the artifact's) and options, and the users.

/** Bumped when the install recipe changes, so images built the old way are not reused. */
const RECIPE_VERSION = 1;
const SCRATCH = '/var/tmp/hangar-features';

export interface FeatureUsers {
  /** The devcontainer's remoteUser, else its containerUser, else the image's user, else root. */
  remoteUser: string;
  containerUser: string;
}

export function featuresKey(baseId: string, features: readonly ResolvedFeature[], users: FeatureUsers): string {
  const parts = features.map((f) => ({ resource: f.source.resource, digest: f.source.digest, options: f.optionEnv }));
  return createHash('sha256').update(JSON.stringify({ v: RECIPE_VERSION, base: baseId, parts, users })).digest('hex');
}

export function featuresImage(docker: Docker, base: BaseImage, features: readonly ResolvedFeature[], users: FeatureUsers, build: DerivedBuild): Promise<string> {
  const key = featuresKey(base.id, features, users);
  const list = features.map((f) => f.id).join(', ');
  return derivedImage(docker, FEATURES_KIND, key, build, (tag) => buildImage(docker, base, features, users, build, tag, key), `Using the cached image with the devcontainer's features (${list})`);
}

async function buildImage(docker: Docker, base: BaseImage, features: readonly ResolvedFeature[], users: FeatureUsers, build: DerivedBuild, tag: string, key: string): Promise<void> {
  const list = features.map((f) => f.id).join(', ');
  const sessionId = build.sessionId;
  if (sessionId === null) throw new DevcontainerError(`the devcontainer's features (${list}) are installed at a session's first provision; warm containers for it are made once that image exists.`);
  const started = Date.now();
  build.onProgress?.(`Installing the devcontainer's features (${list}) into an image based on ${base.ref}; later sessions reuse it`);
  const imageEnv = envRecord((await docker.getImage(base.id).inspect()).Config?.Env ?? []);
  const containerEnv: Record<string, string> = {};
  await buildDerived(docker, base, { ...build, sessionId }, FEATURES_KIND, tag, key, {
    run: async (container, proxyEnv) => {
      const builtins = await userVariables(container, users);
      for (const [i, f] of features.entries()) {
        // Set before the feature's own install, as the reference's Dockerfile does (ENV, then RUN).
        for (const [k, v] of Object.entries(f.metadata.containerEnv)) containerEnv[k] = expand(v, { ...imageEnv, ...containerEnv });
        await installFeature(container, f, `${SCRATCH}/${i}`, [...proxyEnv, ...envLines({ ...containerEnv, ...builtins, ...f.optionEnv })], build.onProgress);
      }
    },
    scratch: [SCRATCH],
    changes: () => Object.entries(containerEnv).map(([k, v]) => `ENV ${k}="${v.replace(/["\\$]/g, '\\$&')}"`),
  });
  build.onProgress?.(`Installed the devcontainer's features in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

const envLines = (env: Record<string, string>) => Object.entries(env).map(([k, v]) => `${k}=${v}`);

/** ${NAME} and $NAME replaced from `env` (unset: empty), as Docker's ENV does. */
export function expand(value: string, env: Record<string, string>): string {
  return value.replace(/\$(?:\{(\w+)\}|(\w+))/g, (_m, braced: string | undefined, bare: string | undefined) => env[braced ?? bare ?? ''] ?? '');
}

/** The spec's _REMOTE_USER, _CONTAINER_USER and their homes, read from the image's passwd. */
async function userVariables(container: Container, users: FeatureUsers): Promise<Record<string, string>> {
  const home = async (user: string) => {
    const r = await execCollect(container, { cmd: ['sh', '-c', 'getent passwd "$1" 2>/dev/null | cut -d: -f6 || grep "^$1:" /etc/passwd | cut -d: -f6', 'sh', user], user: '0' });
    return r.stdout.toString('utf8').trim() || (user === 'root' ? '/root' : `/home/${user}`);
  };
  return {
    _REMOTE_USER: users.remoteUser,
    _CONTAINER_USER: users.containerUser,
    _REMOTE_USER_HOME: await home(users.remoteUser),
    _CONTAINER_USER_HOME: await home(users.containerUser),
  };
}

async function installFeature(container: Container, f: ResolvedFeature, dir: string, env: string[], onProgress?: (m: string) => void): Promise<void> {
  const rel = dir.replace(/^\/+/, '');
  await writeToContainer(container, f.source.files.map((file) => ({ name: `${rel}/${file.name}`, mode: file.mode, uid: 0, gid: 0, content: file.content })));
  onProgress?.(`feature ${f.id}: install.sh`);
  let partial = '';
  const r = await execCollect(container, {
    cmd: ['sh', '-c', 'chmod -R 0755 . && ./install.sh'],
    user: '0',
    workdir: dir,
    env,
    onStdout: (chunk) => {
      const lines = (partial + chunk.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      for (const l of lines) if (l.trim()) onProgress?.(`feature ${f.id}: ${l.trim()}`);
    },
  });
  if (r.exitCode !== 0) {
    const output = [r.stdout, r.stderr].map((b) => b.toString('utf8').trim()).filter(Boolean).join('\n');
    throw new DevcontainerError(`the devcontainer feature ${f.id} failed to install: its install.sh exited with code ${r.exitCode}:\n${output.slice(-2000)}`);
  }
}
