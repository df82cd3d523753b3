import { createHash } from 'node:crypto';
import path from 'node:path';
import * as z from 'zod';

// Names and labels of everything the provider creates in the engine and under its storage dir. Labels are how the
// reaper finds leftovers; the layer id ties a container and its volume to host dirs (a warm-pool container is made
// before its session exists, so the session is recorded in the host state file and in the container's name).

export const LABEL_MANAGED = 'dev.hangar.managed';
export const LABEL_SESSION = 'dev.hangar.session';
export const LABEL_LAYER = 'dev.hangar.layer';
/** Which storage root (Hangar instance) owns it: a reaper never touches another instance's sandboxes. */
export const LABEL_ROOT = 'dev.hangar.root';
/** Session label value of a warm-pool container not yet claimed. */
export const POOL_SESSION = 'pool';
/**
 * The process that keeps a warm-pool container (its pid): while it lives, another process' reaper leaves the
 * container alone; once it is gone (killed before it could drain its pool), any provider on the root removes it.
 */
export const LABEL_POOL_OWNER = 'dev.hangar.pool-owner';

export const SessionId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/, 'session ids are 1-128 letters, digits, "_" or "-"');

export function rootKey(root: string): string {
  return createHash('sha256').update(path.resolve(root)).digest('hex').slice(0, 8);
}

export function labels(root: string, sessionId: string, layerId: string): Record<string, string> {
  return { [LABEL_MANAGED]: '1', [LABEL_ROOT]: rootKey(root), [LABEL_SESSION]: sessionId, [LABEL_LAYER]: layerId };
}

export const volumeName = (layerId: string) => `hangar-ws-${layerId}`;
export const containerName = (root: string, sessionId: string) => `hangar-${rootKey(root)}-${sessionId}`;
export const poolContainerName = (root: string, layerId: string) => `hangar-${rootKey(root)}-pool-${layerId}`;

/** Labels of a warm-pool container (and its volume) this process keeps. */
export function poolLabels(root: string, layerId: string): Record<string, string> {
  return { ...labels(root, POOL_SESSION, layerId), [LABEL_POOL_OWNER]: String(process.pid) };
}
