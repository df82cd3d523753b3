import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { SandboxEgress, SandboxMount } from '../types';
import { SESSION_OUTPUTS_DIR } from '../../wire/file';
import { hasPackages, type SandboxEnvironment } from '../../wire/environment';
import type { Docker } from './client';
import { devcontainerImage, readDevcontainer } from './devcontainer';
import { createCommands, devcontainerEnv, startCommands, type CommandSource } from './devcontainer-settings';
import { featuresImage } from './feature-image';
import { refusedFeatureSettings, resolveFeatures } from './features';
import { inspectImage, sandboxUser } from './image';
import { planEgress, planTunnelEgress } from './egress';
import type { EngineName } from './errors';
import { ensureNetwork, planNetwork } from './network';
import { packagedImage } from './package-image';
import { packageSetOf } from './package-managers';
import { chownTree, type Owner, type SnapshotInfo, type SnapshotStore } from './snapshot';
import type { ContainerSettings } from './state';

// From a provision request to everything a container for it needs: image (the environment's, or the repository's
// devcontainer), user, env, limits, network, how the files get in (overlay or copy) and, for overlay, the snapshot.
// The key identifies interchangeable containers: a warm-pool container serves a session whose plan has its key.

export const DEFAULT_IMAGE = 'hangar-sandbox:latest';

export type FileMode = 'overlay' | 'copy';

/** Everything but the snapshot: known from the environment and the image alone, in a few engine calls. */
export interface PlanBase {
  settings: ContainerSettings;
  mode: FileMode;
  /** Owner the snapshot and upper dir get (null: the host user already is the sandbox user). */
  owner: Owner | null;
  repoPath: string | null;
  imageId: string;
}

export interface SandboxPlan extends PlanBase {
  snapshot: SnapshotInfo | null;
  key: string;
}

export interface PlanRequest {
  /** The session being provisioned (absent for warm-pool containers): packages install under its egress policy. */
  sessionId?: string;
  /** The provider's storage root: derived package images are labelled and stamped for it; images' accounts are kept under it. */
  root?: string;
  repoPath?: string;
  environment: SandboxEnvironment;
  /** Extra container variables (credential placeholders). */
  env?: Record<string, string>;
  /** The egress proxy for networked sandboxes; without one they are isolated completely. */
  egress?: SandboxEgress | null;
  onProgress?: (message: string) => void;
  /** Host files bound read-only into the container (file resources). */
  mounts?: SandboxMount[];
  /** The host directory bound writable at /mnt/session/outputs. */
  outputsDir?: string;
  /** Host directories bound writable (repository resources' clones); their hosts are reached through the proxy. */
  repositories?: SandboxMount[];
  /** Host directories bound writable that need no network (memory stores). */
  writable?: SandboxMount[];
  /** The engine, when it is remote (no shared filesystem): binds are shipped, networking is tunnelled (tunnel.ts). */
  remote?: EngineName | null;
}

/** Overlay needs the snapshot's files to belong to the sandbox user: possible as root, or when the uids agree. */
function ownerFor(uid: number, gid: number): { possible: boolean; owner: Owner | null } {
  const hostUid = process.getuid?.() ?? -1;
  if (hostUid === 0) return { possible: true, owner: { uid, gid } };
  return { possible: hostUid === uid, owner: null };
}

export async function planBase(docker: Docker, req: PlanRequest, allowOverlay: boolean): Promise<PlanBase> {
  const repoPath = req.repoPath ? path.resolve(req.repoPath) : null;
  const dc = repoPath ? await readDevcontainer(repoPath) : null;
  const baseRef = dc ? await devcontainerImage(docker, dc, req.onProgress) : (req.environment.hangar.image ?? DEFAULT_IMAGE);
  // A repository resource needs its host (fetch, push) even when the environment allows nothing else.
  const network = planNetwork(req.environment.networking, (req.repositories ?? []).length > 0);
  const packages = hasPackages(req.environment.packages) ? packageSetOf(req.environment.packages) : null;
  // A remote engine's sandbox joins no network: its way out is the tunnel to this host's proxy.
  const tunnel = !!req.remote && network.mode !== 'none' && !!req.egress;
  if (!req.remote) await ensureNetwork(docker, network);
  const egress = network.mode === 'none' ? null : req.remote ? await planTunnelEgress(req.egress ?? null, req.onProgress) : await planEgress(docker, network.mode, req.egress ?? null, req.onProgress);
  const networkMode = req.remote ? 'none' : network.mode;
  const derived = {
    root: req.root ?? '',
    sessionId: req.sessionId ?? null,
    networkMode,
    egress: req.egress ?? null,
    egressPlan: egress,
    tunnel,
    memoryMb: req.environment.hangar.limits.memory_mb,
    onProgress: req.onProgress,
  };
  let imageRef = baseRef;
  let image = await inspectImage(docker, baseRef);
  const features = dc ? await resolveFeatures(dc.spec.features, dc.spec.overrideFeatureInstallOrder, dc.dir, dc.repo, req.onProgress) : [];
  const refused = [...(dc?.refused ?? []), ...features.flatMap(refusedFeatureSettings)];
  if (refused.length > 0) req.onProgress?.(`devcontainer.json settings Hangar does not apply: ${refused.join('; ')}`);
  if (dc && features.length > 0) {
    const containerUser = dc.spec.containerUser ?? (image.user || 'root');
    imageRef = await featuresImage(docker, { ref: baseRef, id: image.id }, features, { remoteUser: dc.spec.remoteUser ?? containerUser, containerUser }, derived);
    image = await inspectImage(docker, imageRef);
  }
  if (packages) {
    imageRef = await packagedImage(docker, { ref: imageRef, id: image.id }, packages, derived);
    image = await inspectImage(docker, imageRef);
  }
  const lifecycleSources: CommandSource[] = dc ? [...features.map((f) => ({ origin: ` (feature ${f.id})`, commands: f.metadata })), { origin: '', commands: dc.spec }] : [];
  const who = await sandboxUser(docker, image.id, dc?.spec.remoteUser ?? dc?.spec.containerUser ?? image.user, req.root ?? null);
  const settings: ContainerSettings = {
    image: imageRef,
    user: who.user,
    uid: who.uid,
    gid: who.gid,
    home: who.home,
    // The image's own variables (its ENV, a feature's containerEnv) first: the agent's shell is given this list, not
    // the container's whole environment.
    env: [...image.env, ...(dc ? devcontainerEnv(dc.spec, image.env, dc.repo, req.onProgress) : []), ...Object.entries({ ...req.env }).map(([k, v]) => `${k}=${v}`), ...(egress?.env ?? [])],
    limits: req.environment.hangar.limits,
    networkMode,
    lifecycle: { create: createCommands(lifecycleSources), start: startCommands(lifecycleSources) },
    caCert: egress?.caCert ?? null,
    account: who.account,
    binds: [
      ...(req.mounts ?? []).map((m) => ({ source: m.source, target: m.target, readOnly: true })),
      ...(req.outputsDir ? [{ source: req.outputsDir, target: SESSION_OUTPUTS_DIR, readOnly: false }] : []),
      ...(req.repositories ?? []).map((m) => ({ source: m.source, target: m.target, readOnly: false })),
      ...(req.writable ?? []).map((m) => ({ source: m.source, target: m.target, readOnly: false })),
    ],
    shipBinds: !!req.remote,
    tunnel,
  };
  const { possible, owner } = ownerFor(who.uid, who.gid);
  // A clone is the host user's; the sandbox user must be able to commit in it (done once: the top tells).
  if (owner) for (const m of req.repositories ?? []) if ((await fsp.stat(m.source)).uid !== owner.uid) await chownTree(m.source, owner);
  return { settings, mode: allowOverlay && possible ? 'overlay' : 'copy', owner, repoPath, imageId: image.id };
}

/** The host dir a plan binds at /mnt/session/outputs, if any. */
export function outputsSource(settings: ContainerSettings): string | null {
  return settings.binds.find((b) => b.target === SESSION_OUTPUTS_DIR)?.source ?? null;
}

/** The settings with the outputs bind (if any) taken from `source`: a warm container binds its own dir there. */
export function withOutputsSource(settings: ContainerSettings, source: string): ContainerSettings {
  return { ...settings, binds: settings.binds.map((b) => (b.target === SESSION_OUTPUTS_DIR ? { ...b, source } : b)) };
}

/**
 * A warm container can serve a session when its only binds are the outputs dir: that one is moved into the session's
 * place on claim (provider.ts), while a file or repository bind is the session's own and fixed when the container starts.
 */
export function poolable(settings: ContainerSettings): boolean {
  return settings.binds.every((b) => b.target === SESSION_OUTPUTS_DIR);
}

/**
 * Adds the snapshot (overlay mode) and the key that identifies interchangeable containers. The outputs bind's host
 * dir is left out of the key: whose it is does not change the container, only whether there is one.
 */
export async function completePlan(snapshots: SnapshotStore, base: PlanBase, onProgress?: (m: string) => void): Promise<SandboxPlan> {
  const snapshot = base.mode === 'overlay' ? await snapshots.prepare(base.repoPath ?? undefined, base.owner, onProgress) : null;
  const settings = withOutputsSource(base.settings, '');
  const key = createHash('sha256')
    .update(JSON.stringify({ settings, imageId: base.imageId, mode: base.mode, snapshot: snapshot?.id ?? null, repoPath: base.repoPath }))
    .digest('hex')
    .slice(0, 24);
  return { ...base, snapshot, key };
}

export async function planSandbox(docker: Docker, snapshots: SnapshotStore, req: PlanRequest, allowOverlay: boolean): Promise<SandboxPlan> {
  return completePlan(snapshots, await planBase(docker, req, allowOverlay), req.onProgress);
}
