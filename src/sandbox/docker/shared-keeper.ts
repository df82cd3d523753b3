import fs from 'node:fs/promises';
import path from 'node:path';
import { withFileLock } from '../../log/file-lock';
import { connectDocker, type Docker } from './client';
import { runningContainer } from './container';
import { resolveEngine } from './engine';
import { Layers } from './layer';
import { poolContainerName } from './names';
import type { SandboxPlan } from './plan';
import { claimRecord, publish, recordFile, release, SharedPlan, unclaimed, warmDir, type SharedRecord } from './shared-pool';
import { makeWarmEntry } from './warm';

// The detached keeper of one shared warm container (shared-pool.ts): started by a one-shot run after its provision,
// it makes the container for the plan that run had (unless the key has enough already), announces it, and stays until
// it is claimed or has idled too long; then it removes it. A keeper killed meanwhile leaves a container whose owner
// label names a dead process: the next provider on the root removes it (reaper.ts, sweepOrphanPools).

const POLL_MS = 1000;
/** A claimer renames the container right after it took the record; one still under its pool name after this is abandoned. */
const CLAIM_GRACE_MS = 30_000;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** args: <docker root> <plan file> <size> <idle ms> <engine or ''>. SIGTERM ends it as an expiry does, within a poll. */
export async function keepWarm(args: readonly string[]): Promise<void> {
  let stopped = false;
  process.once('SIGTERM', () => (stopped = true));
  const [root, planFile, size, idleMs, engine] = args;
  if (!root || !planFile) throw new Error('usage: <docker storage root> <plan file> <size> <idle ms> <engine>');
  const plan = SharedPlan.parse(JSON.parse(await fs.readFile(planFile, 'utf8'))) as SandboxPlan;
  const docker = await connectDocker({ target: resolveEngine(engine || undefined) });
  const layers = new Layers(root, 1, { docker: async () => docker, handsContext: async () => ({ docker, toolServer: null, tools: {} }) });
  // One keeper at a time fills a key, so the pool stays within its size however many runs end together.
  const record = await withFileLock(
    path.join(warmDir(root), `${plan.key}.filling`),
    async () => {
      if ((await unclaimed(root, plan.key)).length >= Number(size)) return null;
      const entry = await makeWarmEntry(root, layers, plan);
      const made: SharedRecord = {
        version: 1,
        key: plan.key,
        layerId: entry.layerId,
        volume: entry.volume,
        containerId: entry.hands.container.id,
        outputsDir: entry.outputsDir,
        postCreateDone: entry.postCreateDone,
        keeper: process.pid,
        createdAt: new Date().toISOString(),
      };
      await publish(root, made);
      return made;
    },
    { timeoutMs: 120_000, staleMs: 300_000 },
  );
  if (record) await keep(root, docker, layers, record, Number(idleMs), () => stopped);
}

async function keep(root: string, docker: Docker, layers: Layers, record: SharedRecord, idleMs: number, stopped: () => boolean): Promise<void> {
  const expires = Date.parse(record.createdAt) + idleMs;
  const discard = () => layers.discard(record.layerId, record.volume, record.containerId);
  for (;;) {
    await sleep(POLL_MS);
    const announced = await fs.access(recordFile(root, record.key, record.layerId)).then(() => true, () => false);
    if (!announced) return settleClaim(root, docker, record, discard);
    if (!stopped() && Date.now() < expires && (await runningContainer(docker, record.containerId))) continue;
    // Idle too long, stopped, or dead: taken back the way a session would take it, so a claim racing this one wins or loses whole.
    if (await claimRecord(root, record.key, record.layerId)) {
      await discard();
      await release(root, record.layerId);
      return;
    }
  }
}

/** The record was taken: by a claimer, which renames the container, or by nobody (the storage dir was removed). */
async function settleClaim(root: string, docker: Docker, record: SharedRecord, discard: () => Promise<void>): Promise<void> {
  const poolName = `/${poolContainerName(root, record.layerId)}`;
  const until = Date.now() + CLAIM_GRACE_MS;
  while (Date.now() < until) {
    const name = await docker
      .getContainer(record.containerId)
      .inspect()
      .then((i) => i.Name, () => null);
    if (name !== poolName) return;
    await sleep(POLL_MS);
  }
  await discard();
  await release(root, record.layerId);
}
