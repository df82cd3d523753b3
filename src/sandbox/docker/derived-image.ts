import fs from 'node:fs/promises';
import path from 'node:path';
import type { SandboxEgress } from '../types';
import { execCollect, type Container, type Docker } from './client';
import { removeContainer } from './container';
import { bindContainer, installCa, type EgressPlan } from './egress';
import { classifyEngineError, isNotFound } from './errors';
import { LABEL_MANAGED, LABEL_ROOT, labels, rootKey } from './names';
import { EgressTunnel } from './tunnel';

// Images derived from a base image by running installs in a container of it and committing the result: the
// environment's packages (package-image.ts) and the devcontainer's features (feature-image.ts). Each kind tags its
// images `<repo>:<first 16 hex of the content key>` and labels them with the whole key, so an image is reused only for
// exactly what went in. The install runs as root on the sandbox network, bound to the session in the egress proxy
// (the session's policy applies); on a remote engine it joins no network and its connections come to the proxy as the
// session's through a tunnel of its own. Each use touches a stamp under <root>/packages; images of this storage root unused
// for PRUNE_AFTER_DAYS, and all but the PRUNE_KEEP most recently used, are removed whenever a new one is built.

const PRUNE_AFTER_DAYS = 30;
const PRUNE_KEEP = 20;

export interface DerivedKind {
  /** Image repository of this kind's tags. */
  repo: string;
  /** Label holding the content key. */
  label: string;
}

export const PACKAGES_KIND: DerivedKind = { repo: 'hangar-packages', label: 'dev.hangar.packages' };
export const FEATURES_KIND: DerivedKind = { repo: 'hangar-features', label: 'dev.hangar.features' };
/** One budget covers every kind of derived image of a storage root. */
const KINDS = [PACKAGES_KIND, FEATURES_KIND];

export interface BaseImage {
  ref: string;
  id: string;
}

export interface DerivedBuild {
  root: string;
  /** null for a warm-pool container: it uses a cached image but cannot build one (no session, no egress policy). */
  sessionId: string | null;
  networkMode: string;
  egress: SandboxEgress | null;
  egressPlan: EgressPlan | null;
  /**
   * A remote engine's build: the container joins no network (networkMode none) and reaches the proxy through a relay
   * tunnelled over the engine connection (tunnel.ts), as that engine's sandboxes do.
   */
  tunnel: boolean;
  memoryMb: number;
  onProgress?: (message: string) => void;
}

const building = new Map<string, Promise<string>>();

/**
 * The tag of the derived image for `key`, made by `make` when the engine lacks it (concurrent callers share one
 * build); `cached` is told when it is reused.
 */
export function derivedImage(docker: Docker, kind: DerivedKind, key: string, build: DerivedBuild, make: (tag: string) => Promise<void>, cached: string): Promise<string> {
  const tag = `${kind.repo}:${key.slice(0, 16)}`;
  let made = building.get(tag);
  if (!made) {
    made = (async () => {
      if (await hasImage(docker, tag, kind, key)) {
        build.onProgress?.(cached);
      } else {
        await make(tag);
        await pruneDerivedImages(docker, build.root, tag).catch(() => undefined);
      }
      await touchStamp(build.root, tag);
      return tag;
    })().finally(() => building.delete(tag));
    building.set(tag, made);
  }
  return made;
}

async function hasImage(docker: Docker, tag: string, kind: DerivedKind, key: string): Promise<boolean> {
  try {
    const info = await docker.getImage(tag).inspect();
    return info.Config?.Labels?.[kind.label] === key;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw classifyEngineError(err);
  }
}

export interface Install {
  /** Runs in the started build container as root; `env` holds the proxy's variables. */
  run: (container: Container, env: string[]) => Promise<void>;
  /** Directories the install leaves that must not reach the image. */
  scratch: string[];
  /** Dockerfile instructions (ENV …) the commit adds besides the base image's user, entrypoint and command. */
  changes: () => string[];
}

/** Builds `tag` from `base` by running `install` in a root container of it and committing the result. */
export async function buildDerived(docker: Docker, base: BaseImage, build: DerivedBuild & { sessionId: string }, kind: DerivedKind, tag: string, key: string, install: Install): Promise<void> {
  const { sessionId } = build;
  const config = (await docker.getImage(base.id).inspect()).Config;
  const baseEntrypoint = config?.Entrypoint ? ([] as string[]).concat(config.Entrypoint) : [];
  // An ENTRYPOINT the commit sets can be restored, an absent one cannot (`ENTRYPOINT []` is ignored): so the build
  // container replaces the entrypoint only when the base image has one.
  const container = await docker.createContainer({
    Image: base.id,
    User: '0',
    ...(baseEntrypoint.length > 0 ? { Entrypoint: ['sleep'], Cmd: ['infinity'] } : { Cmd: ['sleep', 'infinity'] }),
    Labels: labels(build.root, sessionId, kind.repo.replace(/^hangar-/, '')),
    StopSignal: 'SIGKILL',
    HostConfig: {
      Init: true,
      NetworkMode: build.networkMode,
      SecurityOpt: ['no-new-privileges'],
      Memory: Math.max(build.memoryMb, 2048) * 1024 * 1024,
      Tmpfs: { '/tmp': 'rw,nosuid,nodev,exec,mode=1777' },
    },
  });
  let tunnel: EgressTunnel | null = null;
  try {
    await container.start();
    const caPath = build.egressPlan?.caCert?.path ?? null;
    if (build.egressPlan?.caCert) await installCa(container, build.egressPlan.caCert);
    if (build.egress && build.tunnel) tunnel = await EgressTunnel.open(container, build.egress, sessionId);
    else if (build.egress) await bindContainer(build.egress, sessionId, container, build.networkMode);
    await install.run(container, build.egressPlan?.env ?? []);
    await cleanUp(container, caPath, install.scratch);
    const cmd = config?.Cmd ?? [];
    // The commit keeps the base image's own user and command: the install ran as root with `sleep` for its own sake.
    await container.commit({
      repo: kind.repo,
      tag: tag.slice(kind.repo.length + 1),
      changes: [
        `USER ${config?.User || 'root'}`,
        ...(baseEntrypoint.length > 0 ? [`ENTRYPOINT ${JSON.stringify(baseEntrypoint)}`] : []),
        `CMD ${JSON.stringify(cmd)}`,
        ...install.changes(),
        `LABEL ${kind.label}=${key} ${LABEL_MANAGED}=1 ${LABEL_ROOT}=${rootKey(build.root)}`,
      ],
    });
  } finally {
    tunnel?.close();
    build.egress?.unbind(sessionId);
    await removeContainer(docker, container.id).catch(() => undefined);
  }
}

/** Leaves no apt lists, caches, scratch files or the proxy's CA in the image. */
async function cleanUp(container: Container, caPath: string | null, scratch: string[]): Promise<void> {
  const q = (p: string) => `'${p.replace(/'/g, `'\\''`)}'`;
  const steps = [`rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb /root/.npm /root/.cache /root/.cargo/registry ${scratch.map(q).join(' ')}`];
  if (caPath) steps.push(`rm -f ${q(caPath)}`, '(update-ca-certificates --fresh >/dev/null 2>&1 || true)');
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
 * Removes this storage root's derived images (every kind) that were not used for PRUNE_AFTER_DAYS, and the least
 * recently used beyond PRUNE_KEEP. An image a container still uses is kept (the engine refuses; that is fine).
 * Returns the tags removed.
 */
export async function pruneDerivedImages(docker: Docker, root: string, keep: string | null, options: { maxAgeDays?: number; maxCount?: number } = {}): Promise<string[]> {
  const maxAgeMs = (options.maxAgeDays ?? PRUNE_AFTER_DAYS) * 86_400_000;
  const maxCount = options.maxCount ?? PRUNE_KEEP;
  const images = await docker.listImages({ filters: { label: [`${LABEL_ROOT}=${rootKey(root)}`] } });
  const used: { tag: string; at: number }[] = [];
  for (const img of images) {
    for (const tag of img.RepoTags ?? []) {
      const kind = KINDS.find((k) => tag.startsWith(`${k.repo}:`));
      if (!kind || !img.Labels?.[kind.label]) continue;
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
