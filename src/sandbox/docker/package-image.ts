import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { SandboxEgress } from '../types';
import { execCollect, type Container, type Docker } from './client';
import { removeContainer } from './container';
import { bindContainer, installCa, type EgressPlan } from './egress';
import { classifyEngineError, isNotFound, PackageInstallError } from './errors';
import { LABEL_MANAGED, LABEL_ROOT, labels, rootKey } from './names';
import { describePackages, INSTALL_ENV, installFailure, MANAGERS, RECIPES, type Manager, type PackageSet } from './package-managers';

// The environment's packages as an image: one derived image per (base image id, package set), built once by
// installing into a container of the base image (as root, on the sandbox network, through the egress proxy under the
// session's policy) and committing it, then reused by every session with the same base and packages, so a second
// session starts as fast as one without packages. The tag and a label carry the hash of what went in (content, not
// file times). Each use touches a stamp under <root>/packages; images unused for PRUNE_AFTER_DAYS, and all but the
// PRUNE_KEEP most recently used, are removed whenever a new one is built.

export const LABEL_PACKAGES = 'dev.hangar.packages';
const IMAGE_REPO = 'hangar-packages';
/** Bumped when the install recipe changes, so images built the old way are not reused. */
const RECIPE_VERSION = 1;
const PRUNE_AFTER_DAYS = 30;
const PRUNE_KEEP = 20;

export interface BaseImage {
  ref: string;
  id: string;
}

export interface PackageBuild {
  root: string;
  /** null for a warm-pool container: it uses a cached image but cannot build one (no session, no egress policy). */
  sessionId: string | null;
  networkMode: string;
  egress: SandboxEgress | null;
  egressPlan: EgressPlan | null;
  memoryMb: number;
  onProgress?: (message: string) => void;
}

export function packagesKey(baseId: string, set: PackageSet): string {
  return createHash('sha256').update(JSON.stringify({ v: RECIPE_VERSION, base: baseId, set })).digest('hex');
}

const building = new Map<string, Promise<string>>();

/** The derived image's tag for this base and package set, building it first when the engine lacks it. */
export function packagedImage(docker: Docker, base: BaseImage, set: PackageSet, build: PackageBuild): Promise<string> {
  const key = packagesKey(base.id, set);
  const tag = `${IMAGE_REPO}:${key.slice(0, 16)}`;
  let made = building.get(key);
  if (!made) {
    made = (async () => {
      if (await hasImage(docker, tag, key)) {
        build.onProgress?.(`Using the cached image with the environment's packages (${describePackages(set)})`);
      } else {
        await buildImage(docker, base, set, build, tag, key);
        await pruneDerivedImages(docker, build.root, tag).catch(() => undefined);
      }
      await touchStamp(build.root, tag);
      return tag;
    })().finally(() => building.delete(key));
    building.set(key, made);
  }
  return made;
}

async function hasImage(docker: Docker, tag: string, key: string): Promise<boolean> {
  try {
    const info = await docker.getImage(tag).inspect();
    return info.Config?.Labels?.[LABEL_PACKAGES] === key;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw classifyEngineError(err);
  }
}

async function buildImage(docker: Docker, base: BaseImage, set: PackageSet, build: PackageBuild, tag: string, key: string): Promise<void> {
  const sessionId = build.sessionId;
  if (sessionId === null) throw new PackageInstallError(`the environment's packages (${describePackages(set)}) are installed at a session's first provision; warm containers for it are made once that image exists.`);
  if (!build.egressPlan || build.egressPlan.env.length === 0) {
    throw new PackageInstallError(`the environment's packages (${describePackages(set)}) cannot be installed: this Hangar has no egress proxy for the sandbox network, so no registry is reachable.`);
  }
  const started = Date.now();
  build.onProgress?.(`Installing the environment's packages (${describePackages(set)}) into an image based on ${base.ref}; later sessions reuse it`);
  const config = (await docker.getImage(base.id).inspect()).Config;
  const baseEntrypoint = config?.Entrypoint ? ([] as string[]).concat(config.Entrypoint) : [];
  // An ENTRYPOINT the commit sets can be restored, an absent one cannot (`ENTRYPOINT []` is ignored): so the build
  // container replaces the entrypoint only when the base image has one.
  const container = await docker.createContainer({
    Image: base.id,
    User: '0',
    ...(baseEntrypoint.length > 0 ? { Entrypoint: ['sleep'], Cmd: ['infinity'] } : { Cmd: ['sleep', 'infinity'] }),
    Labels: labels(build.root, sessionId, 'packages'),
    StopSignal: 'SIGKILL',
    HostConfig: {
      Init: true,
      NetworkMode: build.networkMode,
      SecurityOpt: ['no-new-privileges'],
      Memory: Math.max(build.memoryMb, 2048) * 1024 * 1024,
      Tmpfs: { '/tmp': 'rw,nosuid,nodev,exec,mode=1777' },
    },
  });
  try {
    await container.start();
    if (build.egressPlan.caCert) await installCa(container, build.egressPlan.caCert);
    if (build.egress) await bindContainer(build.egress, sessionId, container, build.networkMode);
    const env = [...build.egressPlan.env, ...INSTALL_ENV];
    await installAll(container, set, env, build.onProgress);
    await cleanUp(container, build.egressPlan.caCert?.path ?? null);
    const cmd = config?.Cmd ?? [];
    // The commit keeps the base image's own user and command: the install ran as root with `sleep` for its own sake.
    await container.commit({
      repo: IMAGE_REPO,
      tag: tag.slice(IMAGE_REPO.length + 1),
      changes: [
        `USER ${config?.User || 'root'}`,
        ...(baseEntrypoint.length > 0 ? [`ENTRYPOINT ${JSON.stringify(baseEntrypoint)}`] : []),
        `CMD ${JSON.stringify(cmd)}`,
        `LABEL ${LABEL_PACKAGES}=${key} ${LABEL_MANAGED}=1 ${LABEL_ROOT}=${rootKey(build.root)}`,
      ],
    });
    build.onProgress?.(`Installed the environment's packages in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    build.egress?.unbind(sessionId);
    await removeContainer(docker, container.id).catch(() => undefined);
  }
}

async function installAll(container: Container, set: PackageSet, env: string[], onProgress?: (m: string) => void): Promise<void> {
  const used = MANAGERS.filter((m) => set[m].length > 0);
  // A manager the image lacks comes from Debian first (npm, pip3, gem, cargo, go), in the same apt run as the apt packages.
  const has = async (tool: string) => (await execCollect(container, { cmd: ['sh', '-c', `command -v ${tool}`], user: '0' })).exitCode === 0;
  if (await has('curl')) {
    for (const m of used) {
      const url = RECIPES[m].probe;
      if (!url) continue;
      const r = await execCollect(container, { cmd: ['curl', '-sS', '-o', '/dev/null', '--max-time', '30', url], user: '0', env });
      if (r.exitCode !== 0) throw new PackageInstallError(installFailure(m, set[m], r.exitCode, `could not resolve or reach ${url}: ${r.stderr.toString('utf8')}`));
    }
  }
  const tools: string[] = [];
  const bootstraps: Manager[] = [];
  for (const m of used) {
    const recipe = RECIPES[m];
    if (m === 'apt' || (await has(recipe.tool))) continue;
    if (recipe.bootstrap && (await has(recipe.bootstrap.runtime))) bootstraps.push(m);
    else tools.push(...recipe.debian);
  }
  if (tools.length > 0) onProgress?.(`The image lacks what some package managers need; installing ${tools.join(', ')} with apt first`);
  const apt = [...set.apt, ...tools];
  if (apt.length > 0) await runManager(container, 'apt', RECIPES.apt.commands(apt), set.apt, env, onProgress);
  for (const m of bootstraps) await runManager(container, m, [['sh', '-c', RECIPES[m].bootstrap?.script ?? 'false']], set[m], env, onProgress);
  for (const m of used) if (m !== 'apt') await runManager(container, m, RECIPES[m].commands(set[m]), set[m], env, onProgress);
}

/** Runs one manager's commands; a failure names the environment's packages of that manager (`named`). */
async function runManager(container: Container, manager: Manager, commands: string[][], named: string[], env: string[], onProgress?: (m: string) => void): Promise<void> {
  for (const cmd of commands) {
    onProgress?.(`${manager}: ${cmd.join(' ').split('\n')[0]}`);
    let partial = '';
    const r = await execCollect(container, {
      cmd,
      user: '0',
      env,
      onStdout: (chunk) => {
        // Progress line by line, the last of each chunk kept until its end arrives.
        const lines = (partial + chunk.toString('utf8')).split('\n');
        partial = lines.pop() ?? '';
        for (const l of lines) if (l.trim()) onProgress?.(`${manager}: ${l.trim()}`);
      },
    });
    if (r.exitCode !== 0) {
      const output = `${r.stdout.toString('utf8')}\n${r.stderr.toString('utf8')}`;
      throw new PackageInstallError(installFailure(manager, named.length > 0 ? named : [cmd.join(' ')], r.exitCode, output));
    }
  }
}

/** Leaves no apt lists, caches or the proxy's CA in the image. */
async function cleanUp(container: Container, caPath: string | null): Promise<void> {
  const steps = ['rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb /root/.npm /root/.cache /root/.cargo/registry'];
  if (caPath) steps.push(`rm -f '${caPath}'`, '(update-ca-certificates --fresh >/dev/null 2>&1 || true)');
  await execCollect(container, { cmd: ['sh', '-c', steps.join('; ')], user: '0' });
}

const stampDir = (root: string) => path.join(root, 'packages');
const stampFile = (root: string, tag: string) => path.join(stampDir(root), tag.replace(/[^A-Za-z0-9_.-]/g, '_'));

async function touchStamp(root: string, tag: string): Promise<void> {
  await fs.mkdir(stampDir(root), { recursive: true });
  const now = new Date();
  await fs.writeFile(stampFile(root, tag), tag).catch(() => undefined);
  await fs.utimes(stampFile(root, tag), now, now).catch(() => undefined);
}

/**
 * Removes this storage root's derived images that were not used for PRUNE_AFTER_DAYS, and the least recently used
 * beyond PRUNE_KEEP. An image a container still uses is kept (the engine refuses; that is fine). Returns the tags removed.
 */
export async function pruneDerivedImages(docker: Docker, root: string, keep: string | null, options: { maxAgeDays?: number; maxCount?: number } = {}): Promise<string[]> {
  const maxAgeMs = (options.maxAgeDays ?? PRUNE_AFTER_DAYS) * 86_400_000;
  const maxCount = options.maxCount ?? PRUNE_KEEP;
  const images = await docker.listImages({ filters: { label: [LABEL_PACKAGES, `${LABEL_ROOT}=${rootKey(root)}`] } });
  const used: { tag: string; at: number }[] = [];
  for (const img of images) {
    for (const tag of img.RepoTags ?? []) {
      if (!tag.startsWith(`${IMAGE_REPO}:`)) continue;
      const st = await fs.stat(stampFile(root, tag)).catch(() => null);
      used.push({ tag, at: st ? st.mtimeMs : img.Created * 1000 });
    }
  }
  used.sort((a, b) => b.at - a.at);
  const removed: string[] = [];
  for (const [i, u] of used.entries()) {
    if (u.tag === keep || (i < maxCount && Date.now() - u.at < maxAgeMs)) continue;
    try {
      await docker.getImage(u.tag).remove();
      await fs.rm(stampFile(root, u.tag), { force: true });
      removed.push(u.tag);
    } catch {
      // In use by a container, or already gone.
    }
  }
  return removed;
}
