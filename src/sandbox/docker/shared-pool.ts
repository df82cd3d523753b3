import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import * as z from 'zod';
import { isErrno, writeFileAtomic } from '../../log/fsutil';
import { poolable, type SandboxPlan } from './plan';
import { ContainerSettings } from './state';

// Warm containers shared by the processes on one storage root, for one-shot CLI runs (a process that lives for one
// session cannot use warm containers it starts itself). Each is made and then kept by a detached keeper process
// (shared-keeper.ts) and announced by a record under <root>/warm/<key>.<layerId>.json. A claim renames the record
// away: rename is atomic, so of any number of processes (the keeper's own expiry included) exactly one gets it; the
// others see ENOENT and take the next record or make a fresh container. Only plans that carry nothing of a session are
// shared: overlay mode, no binds but the outputs dir (moved into the session's place on claim, as in-process), and no
// network, whose proxy variables and CA would belong to the process that planned it.

export const SharedRecord = z.object({
  version: z.literal(1),
  key: z.string(),
  layerId: z.string(),
  volume: z.string(),
  containerId: z.string(),
  outputsDir: z.string().nullable(),
  postCreateDone: z.boolean(),
  /** The keeper process: it removes the container once idle too long, or once claimed but never taken. */
  keeper: z.number().int(),
  createdAt: z.string(),
});
export type SharedRecord = z.infer<typeof SharedRecord>;

/** A plan as the parent hands it to the keeper (a file: settings can be long). */
export const SharedPlan = z.object({
  settings: ContainerSettings,
  mode: z.literal('overlay'),
  owner: z.object({ uid: z.number().int(), gid: z.number().int() }).nullable(),
  repoPath: z.string().nullable(),
  imageId: z.string(),
  snapshot: z.object({ id: z.string(), tree: z.string(), files: z.number(), reused: z.boolean(), copied: z.number(), linked: z.number() }).nullable(),
  key: z.string(),
});

export interface SharedPoolOptions {
  /** Warm containers kept per plan key across processes (0: none are made; records others made are still claimed). */
  size: number;
  /** How long an unclaimed one waits before its keeper removes it. */
  idleMs: number;
  /** argv that starts a keeper (the CLI's own entry with its keeper flag); its arguments are appended. */
  keeperCommand: readonly string[];
}

export const warmDir = (root: string) => path.join(root, 'warm');
export const recordFile = (root: string, key: string, layerId: string) => path.join(warmDir(root), `${key}.${layerId}.json`);
/** Where a claimed record goes: named by layer, so the keeper can tell "claimed" from "never there". */
const claimedFile = (root: string, layerId: string) => path.join(warmDir(root), `${layerId}.claimed`);

export function sharable(plan: SandboxPlan): boolean {
  const s = plan.settings;
  return plan.mode === 'overlay' && s.networkMode === 'none' && !s.shipBinds && poolable(s);
}

export async function publish(root: string, record: SharedRecord): Promise<void> {
  await writeFileAtomic(recordFile(root, record.key, record.layerId), `${JSON.stringify(record)}\n`);
}

/** Whether any warm container is announced at all (before a plan's key is known: no need to wait for it otherwise). */
export async function anyShared(root: string): Promise<boolean> {
  const names = await fs.readdir(warmDir(root)).catch(() => [] as string[]);
  return names.some((n) => n.endsWith('.json'));
}

/** The records for `key` nobody has claimed yet. */
export async function unclaimed(root: string, key: string): Promise<string[]> {
  const names = await fs.readdir(warmDir(root)).catch(() => [] as string[]);
  return names.filter((n) => n.startsWith(`${key}.`) && n.endsWith('.json'));
}

/**
 * Takes the record of `layerId` (or of any warm container for `key`) for this process: exclusive across processes.
 * Returns it, or null when another process took it (or there is none). The caller removes the claimed file with
 * release() once the container is the session's (or gone).
 */
export async function claimRecord(root: string, key: string, layerId?: string): Promise<SharedRecord | null> {
  const names = layerId ? [`${key}.${layerId}.json`] : await unclaimed(root, key);
  for (const name of names) {
    const id = name.slice(key.length + 1, -'.json'.length);
    try {
      await fs.rename(path.join(warmDir(root), name), claimedFile(root, id));
    } catch (err) {
      if (isErrno(err, 'ENOENT')) continue;
      throw err;
    }
    const parsed = SharedRecord.safeParse(await readJson(claimedFile(root, id)));
    if (parsed.success) return parsed.data;
    await release(root, id);
  }
  return null;
}

/** The file's JSON, or null when it is unreadable or not JSON (a damaged record is dropped, never fatal). */
async function readJson(file: string): Promise<unknown> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as unknown;
  } catch {
    return null;
  }
}

export async function release(root: string, layerId: string): Promise<void> {
  await fs.rm(claimedFile(root, layerId), { force: true });
}

/**
 * Starts a keeper for the plan when its key has fewer than `size` warm containers; this process does not wait for it.
 * The plan goes in a file under the warm dir.
 */
export async function spawnKeeper(root: string, plan: SandboxPlan, options: SharedPoolOptions, engine: string | undefined): Promise<void> {
  if (options.size <= 0 || (await unclaimed(root, plan.key)).length >= options.size) return;
  const planFile = path.join(warmDir(root), `${plan.key}.plan`);
  await fs.mkdir(warmDir(root), { recursive: true });
  await writeFileAtomic(planFile, JSON.stringify(plan));
  const [cmd, ...args] = options.keeperCommand;
  if (!cmd) return;
  const child = spawn(cmd, [...args, root, planFile, String(options.size), String(options.idleMs), engine ?? ''], { detached: true, stdio: 'ignore', env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' } });
  child.on('error', () => undefined);
  child.unref();
}
