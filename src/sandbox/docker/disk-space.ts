import type { ToolOutcome } from '../../wire/tool-outcome';
import { WORKSPACE } from './container';
import { onEngine, saysDiskFull, type EngineName } from './errors';
import type { SandboxExec } from './hands';

// A tool call that ran out of disk says "No space left on device", which does not say whose disk, and the agent (or
// the user reading the log) cannot tell from inside the container that its files are in a volume on a Docker engine,
// perhaps another machine's. Such a result gets a note: where the sandbox's files are, how much space is left there
// now (asked in the container: the engine has no API for it), and what frees it. The call's result is kept as it was.

/** Where a sandbox's files are: on the engine (copy mode: a volume in its data root) or on this host (overlay's upper dir). */
export type FilesHome = { engine: EngineName } | { hostDir: string };

const MB = 1024 * 1024;

function size(bytes: number): string {
  return bytes >= 10 * 1024 * MB ? `${Math.round(bytes / (1024 * MB))} GB` : `${Math.round(bytes / MB)} MB`;
}

/** Free and total bytes of the filesystem that holds /workspace, or null when `df` did not say. */
async function workspaceSpace(exec: SandboxExec | null): Promise<{ free: number; total: number } | null> {
  const r = exec && (await exec({ cmd: ['df', '-Pk', WORKSPACE] }).catch(() => null));
  const fields = r?.exitCode === 0 ? r.stdout.toString('utf8').trim().split('\n').at(-1)?.split(/\s+/) : undefined;
  const total = Number(fields?.[1]) * 1024;
  const free = Number(fields?.[3]) * 1024;
  return Number.isFinite(total) && Number.isFinite(free) ? { free, total } : null;
}

function noteText(home: FilesHome, space: { free: number; total: number } | null): string {
  const left = space ? ` ${size(space.free)} of ${size(space.total)} are free there now.` : '';
  if ('hostDir' in home) {
    return `[sandbox] No space left on device: this sandbox's files are on the machine running Hangar, in ${home.hostDir}.${left} Delete files this session no longer needs, or free space on that disk.`;
  }
  const { label, local, cli } = home.engine;
  const docker = `docker ${cli}`.trim();
  // A local engine's storage may still be another disk than the user's files (Docker Desktop keeps it in a VM's).
  const where = local ? `in the storage of the Docker engine at ${label}` : `on the Docker engine at ${label}, not on the machine running Hangar`;
  return (
    `[sandbox] No space left on device: this sandbox's files are ${where}.${left} Delete files this session no longer needs, ` +
    `or free space on that engine: \`${docker} system df\` shows what uses it, \`${docker} system prune\` removes stopped ` +
    'containers, dangling images and build cache.'
  );
}

/** `err` as a DiskFullError naming the engine when it says the disk was full and the files are on the engine; else as it was. */
export function diskFullThere(err: unknown, home: FilesHome): unknown {
  return 'engine' in home ? onEngine(err, home.engine) : err;
}

/** `outcome`, with the note added when its text says the disk was full; `exec` (null: no live container) asks for the space left. */
export async function withDiskNote(outcome: ToolOutcome, exec: SandboxExec | null, home: FilesHome): Promise<ToolOutcome> {
  if (!outcome.content.some((b) => b.type === 'text' && saysDiskFull(b.text))) return outcome;
  const note = noteText(home, await workspaceSpace(exec));
  return { ...outcome, content: [...outcome.content, { type: 'text', text: note }] };
}
