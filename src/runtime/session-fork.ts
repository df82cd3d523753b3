import { promises as fsp } from 'node:fs';
import path from 'node:path';
import * as z from 'zod';
import { EVENTS_FILE } from '../log/session-log';
import { fsyncDir } from '../log/fsutil';
import { TREE_ID } from '../sandbox/repo/checkpoint-git';
import type { CheckpointRef, Sandbox } from '../sandbox/types';
import { errnoCode } from '../tools/paths';
import { newId, type SessionEvent } from '../wire';
import { sessionRepository } from '../wire/session-repository';
import { invalid, notFound, RuntimeError } from './errors';
import { createSessionDir, type SessionRecord } from './session-record';

// A fork is a new session that starts where another one was at one of its events: its log begins with the source's
// records up to and including that event, copied byte for byte (ids, thinking signatures and the private `_hangar`
// parts included, so the model gets exactly the context it had), and its sandbox holds the source's files as they were
// at that event: the tree of the nearest checkpoint (or rewind) at or before it. Before the first checkpoint no tool
// had changed a file, so a fork from there starts from the repository, as the source did.
//
// A fork is made settled: nothing drives it until a command does (a message, `hangar resume`, the API's next event).
// Its status is what its log says: a fork at an idle waits for a message; a fork in the middle of a turn reads as
// running, and the first wake finishes that turn as it finishes a turn a crash cut (the logs of test/integration/crash
// are cut after every record; a tool call without a result gets the "interrupted" error result). Waking it here
// instead would start that turn before the caller could watch or steer it. The source is only read, never written.
//
// The fork's log holds the source's checkpoints up to the cut, and the fork can be rewound to any of them. Their trees
// are in the source's checkpoint git dir, which the fork's directory names (FORK_SOURCE_FILE); a rewind copies the
// objects of the one it needs from there (checkpoints.ts), so a fork copies nothing it is never rewound to.
//
// The fork answers once its directory exists; its sandbox is provisioned and given the checkpoint's files in the
// background. The directory is made with FORK_SEED_FILE in it (atomically, with the log), naming the checkpoint, and
// every use of the fork's sandbox goes through SessionSandboxes, which restores that checkpoint after provisioning and
// only then removes the file and hands the sandbox out (a first turn, review's changes(), a rewind all wait for it). A
// process killed before that leaves the file, and the next provision in any process restores again (restores are
// idempotent), so a fork never starts from the wrong files.

export interface ForkRequest {
  /** The last event the fork keeps (an event id of the source); absent, the source's whole log as it is now. */
  at?: string;
  title?: string;
}

export interface ForkSource {
  record: SessionRecord;
  /** The source's events as its log holds them now. */
  events: readonly SessionEvent[];
  /** The source's session directory. */
  dir: string;
}

/** Checks the request against the source and returns how many of its events the fork keeps. */
export function forkCut(source: ForkSource, at: string | undefined): number {
  const id = source.record.id;
  if (source.record.resources.some((r) => r.type === 'github_repository')) {
    throw invalid(`Session ${id} clones repository resources, which a fork cannot share yet (their tokens belong to the session); start a new session instead.`, 'fork_unsupported');
  }
  if (at === undefined) return source.events.length;
  const index = source.events.findIndex((e) => e.id === at);
  if (index < 0) throw notFound(`Event ${at} of session`, id, 'unknown_event');
  return index + 1;
}

/** The source's first `count` log records, as bytes (each record is position-independent: its own sequence number and CRC). */
export async function logPrefix(sourceDir: string, count: number): Promise<Buffer> {
  const bytes = await fsp.readFile(path.join(sourceDir, EVENTS_FILE));
  let end = 0;
  for (let n = 0; n < count; n++) {
    const next = bytes.indexOf(0x0a, end);
    if (next < 0) throw new RuntimeError(409, 'invalid_request_error', `The log of the session has fewer records than its events: it is being written; fork again.`);
    end = next + 1;
  }
  return bytes.subarray(0, end);
}

/** The files at the source's `count`th event: the tree of the last checkpoint or rewind up to there; null before the first. */
export function forkTree(events: readonly SessionEvent[], count: number): string | null {
  for (let i = Math.min(count, events.length) - 1; i >= 0; i--) {
    const e = events[i]!;
    if (e.type === 'hangar.checkpoint' || e.type === 'hangar.rewind') return e.tree;
  }
  return null;
}

/**
 * Makes the fork's record and directory (the log prefix, and where its files come from: FORK_SOURCE_FILE and
 * FORK_SEED_FILE), atomically, as creation does. `source` is the source's sandbox, whose checkpoint git dir holds the tree.
 */
export async function createFork(sessionsDir: string, source: ForkSource, req: ForkRequest, now: string, sandbox: () => Promise<Sandbox>): Promise<SessionRecord> {
  const count = forkCut(source, req.at);
  const tree = forkTree(source.events, count);
  const [log, gitDir] = await Promise.all([logPrefix(source.dir, count), tree === null ? null : sandbox().then(async (s) => (await s.checkpoint()).gitDir)]);
  const { record: from } = source;
  const label = from.title ?? from.id;
  const record: SessionRecord = {
    ...from,
    id: newId('sesn'),
    title: req.title ?? `Fork of ${label}${req.at ? ` at ${req.at}` : ''}`,
    resources: from.resources.map((r) => ({ ...r, id: newId('sesrsc'), created_at: now, updated_at: now })),
    created_at: now,
    updated_at: now,
    archived_at: null,
  };
  // Before the first checkpoint no tool had changed a file: the fork's sandbox is the repository, as a new session's.
  const files: Record<string, string> = {};
  if (tree !== null && gitDir !== null) {
    files[FORK_SOURCE_FILE] = `${JSON.stringify({ git_dir: gitDir } satisfies ForkSourceFile)}\n`;
    files[FORK_SEED_FILE] = `${JSON.stringify({ git_dir: gitDir, tree } satisfies ForkSeedFile)}\n`;
  }
  await createSessionDir(sessionsDir, record, log, files);
  return record;
}

/** In a fork's directory until its sandbox holds the files it starts with: the checkpoint to restore (see above). */
export const FORK_SEED_FILE = 'fork-seed.json';
const ForkSeedFile = z.object({ git_dir: z.string().min(1), tree: z.string().regex(TREE_ID) });
type ForkSeedFile = z.infer<typeof ForkSeedFile>;

/** The checkpoint the sandbox of the session in `dir` must be restored to before its first use; null: none pending. */
export async function pendingForkSeed(dir: string): Promise<CheckpointRef | null> {
  const file = path.join(dir, FORK_SEED_FILE);
  const text = await fsp.readFile(file, 'utf8').catch((err: unknown) => {
    if (errnoCode(err) === 'ENOENT') return null;
    throw err;
  });
  if (text === null) return null;
  let seed: ForkSeedFile;
  try {
    seed = ForkSeedFile.parse(JSON.parse(text));
  } catch {
    // Written atomically, so only a hand edit or a failing disk gets here: starting from other files would be silent.
    throw new RuntimeError(500, 'api_error', `${file} is damaged, so the files this fork starts with are unknown. Delete the fork and fork its source again.`, 'fork_seed_damaged');
  }
  return { gitDir: seed.git_dir, tree: seed.tree };
}

/** The fork's sandbox holds its checkpoint's files: later provisions must not restore them again over the agent's work. */
export async function forkSeeded(dir: string): Promise<void> {
  await fsp.rm(path.join(dir, FORK_SEED_FILE), { force: true });
  await fsyncDir(dir);
}

/** In a fork's directory: where the checkpoints its log copied from its source are stored. */
export const FORK_SOURCE_FILE = 'fork-source.json';
const ForkSourceFile = z.object({ git_dir: z.string().min(1) });
type ForkSourceFile = z.infer<typeof ForkSourceFile>;

/** The checkpoint git dir of the session `dir` was forked from; null for a session that is no fork (or a damaged file). */
export async function forkSourceGitDir(dir: string): Promise<string | null> {
  const text = await fsp.readFile(path.join(dir, FORK_SOURCE_FILE), 'utf8').catch(() => null);
  if (text === null) return null;
  try {
    return ForkSourceFile.parse(JSON.parse(text)).git_dir;
  } catch {
    return null;
  }
}

/** The repository the fork works on (the source's), for messages. */
export function forkRepository(record: SessionRecord): string | null {
  return sessionRepository(record.resources)?.path ?? null;
}
