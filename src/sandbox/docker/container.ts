import type Dockerode from 'dockerode';
import type { SandboxLimits } from '../../wire/environment';
import type { Container, Docker } from './client';
import { classifyEngineError, isConflict, isNotFound } from './errors';

// The session container: hardened (non-root, no capabilities, no privilege gain, pids/memory/CPU limits, network
// none unless allowed, no Docker socket, no host path but the session volume, its file resources (read-only) and its
// outputs directory) under the engine's init, which also reaps the orphans of killed commands so they do not eat the
// pids limit. Its main process is the tool server when there is one (MAIN_SHELL): the host attaches to it before the
// start, so the server is up as soon as the container is, without an exec round trip after it; else `sleep infinity`.

export const WORKSPACE = '/workspace';

export interface ContainerPlan {
  name: string;
  image: string;
  user: string;
  env: string[];
  labels: Record<string, string>;
  volume: string;
  /** Overlay volumes: do not copy the image's /workspace into the volume. */
  noCopy?: boolean;
  limits: SandboxLimits;
  networkMode: string;
  /** Host paths bound in (file resources read-only, the outputs directory); nothing else of the host is. */
  binds?: readonly { source: string; target: string; readOnly: boolean }[];
  /** The main process (the tool server), its stdin open for one attach; absent: `sleep infinity`. */
  main?: readonly string[];
}

/**
 * Runs the main process; when it exits, says so on stdout (the attached host learns the tool server is gone: the
 * stream stays open) and keeps the container alive as `sleep infinity` would, so the session's files and processes
 * stay and a tool server can be started again by exec (the same as when the server dies in a `sleep` container).
 */
const MAIN_SHELL = '"$@"; echo "{\\"op\\":\\"exited\\",\\"exit_code\\":$?}"; exec sleep infinity';

function mainProcess(plan: ContainerPlan): Partial<Dockerode.ContainerCreateOptions> {
  if (!plan.main) return { Entrypoint: ['sleep'], Cmd: ['infinity'] };
  // StdinOnce: the stdin closes when the host's attach does, so a host that went away stops the server (as an
  // exec's closed stdin did), and the container lives on for a reattach.
  return { Entrypoint: ['/bin/sh'], Cmd: ['-c', MAIN_SHELL, 'hangar-main', ...plan.main], OpenStdin: true, StdinOnce: true, AttachStdin: true, AttachStdout: true, AttachStderr: true };
}

function workspaceMount(plan: ContainerPlan): Dockerode.MountSettings {
  if (!plan.noCopy) return { Type: 'volume', Source: plan.volume, Target: WORKSPACE };
  // NoCopy keeps the image's own /workspace content out of an overlay volume (it would count as the session's
  // changes) and keeps the engine from mounting the volume before the container starts. The typings demand the
  // other VolumeOptions fields, which the API treats as optional.
  return { Type: 'volume', Source: plan.volume, Target: WORKSPACE, VolumeOptions: { NoCopy: true } as Dockerode.MountSettings['VolumeOptions'] };
}

export function createOptions(plan: ContainerPlan): Dockerode.ContainerCreateOptions {
  const memory = plan.limits.memory_mb * 1024 * 1024;
  return {
    name: plan.name,
    Image: plan.image,
    User: plan.user,
    Env: plan.env,
    Labels: plan.labels,
    WorkingDir: WORKSPACE,
    ...mainProcess(plan),
    StopSignal: 'SIGKILL',
    HostConfig: {
      Init: true,
      Mounts: [workspaceMount(plan), ...(plan.binds ?? []).map((b): Dockerode.MountSettings => ({ Type: 'bind', Source: b.source, Target: b.target, ReadOnly: b.readOnly }))],
      Tmpfs: { '/tmp': 'rw,nosuid,nodev,exec,mode=1777' },
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges'],
      PidsLimit: plan.limits.pids,
      Memory: memory,
      MemorySwap: memory,
      NanoCpus: Math.round(plan.limits.cpus * 1e9),
      NetworkMode: plan.networkMode,
      Privileged: false,
      ReadonlyRootfs: false,
      // The main process' stdout is the tool server's protocol (every tool result): not for the engine's disk.
      LogConfig: { Type: 'none', Config: {} },
    },
  };
}

/**
 * Creates the container. Its name is usually free, so it is not cleared first (one engine call per container less):
 * a leftover of the name (a crashed process' container) is removed when the engine says it is there.
 */
export async function createContainer(docker: Docker, plan: ContainerPlan): Promise<Container> {
  try {
    return await docker.createContainer(createOptions(plan)).catch(async (err: unknown) => {
      if (!isConflict(err)) throw err;
      await removeContainer(docker, plan.name);
      return docker.createContainer(createOptions(plan));
    });
  } catch (err) {
    throw classifyEngineError(err, { image: plan.image });
  }
}

/** Starts a created container; on failure it is removed and the error classified (the caller decides on overlay). */
export async function startCreated(container: Container): Promise<void> {
  try {
    await container.start();
  } catch (err) {
    await container.remove({ force: true }).catch(() => undefined);
    throw classifyEngineError(err);
  }
}

export async function createAndStart(docker: Docker, plan: ContainerPlan): Promise<Container> {
  const container = await createContainer(docker, plan);
  await startCreated(container);
  return container;
}

/**
 * Removes a container, and returns once it is gone. Another process may be removing it already (a detached remover,
 * retire.ts): the engine then answers 409, and this waits for that removal, so the name is free when it returns.
 */
export async function removeContainer(docker: Docker, idOrName: string): Promise<void> {
  try {
    await docker.getContainer(idOrName).remove({ force: true, v: false });
  } catch (err) {
    if (isNotFound(err)) return;
    if (!isConflict(err) || !/already in progress/i.test(String((err as Error).message))) throw err;
    for (let waited = 0; waited < 30_000; waited += 100) {
      await new Promise((r) => setTimeout(r, 100));
      if (!(await docker.getContainer(idOrName).inspect().then(() => true, (e: unknown) => (isNotFound(e) ? false : Promise.reject(e))))) return;
    }
    throw err;
  }
}

/** Running container by id or name, or null when it is gone or stopped. */
export async function runningContainer(docker: Docker, idOrName: string): Promise<Container | null> {
  try {
    const c = docker.getContainer(idOrName);
    const info = await c.inspect();
    return info.State.Running && !info.State.Paused ? c : null;
  } catch (err) {
    if (isNotFound(err)) return null;
    throw err;
  }
}

/**
 * Why a session's container (or its tool server) went away, in words for the model and the user. The tool server's
 * stream can close a moment before the engine records the container's death, so a running state is re-checked.
 */
export interface Death {
  cause: string;
  containerAlive: boolean;
  /** When the container stopped (ms since epoch), if the engine knows. */
  finishedAt: number | null;
}

export async function describeDeath(container: Container, limits: SandboxLimits): Promise<Death> {
  let info: Dockerode.ContainerInspectInfo | null = null;
  for (let i = 0; i < 10; i++) {
    try {
      info = await container.inspect();
    } catch (err) {
      if (isNotFound(err)) return { cause: 'the sandbox container was removed', containerAlive: false, finishedAt: null };
      return { cause: `the sandbox container is unreachable (${(err as Error).message})`, containerAlive: false, finishedAt: null };
    }
    if (!info.State.Running) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const s = (info as Dockerode.ContainerInspectInfo).State;
  if (s.Running) return { cause: 'the tool server process in the sandbox stopped (killed, or out of memory)', containerAlive: true, finishedAt: null };
  const finished = Date.parse(s.FinishedAt);
  const death = (cause: string): Death => ({ cause, containerAlive: false, finishedAt: Number.isNaN(finished) ? null : finished });
  if (s.OOMKilled) return death(`the sandbox container was OOM-killed: it reached its memory limit of ${limits.memory_mb} MB`);
  if (s.ExitCode === 137) return death('the sandbox container was killed (SIGKILL, exit 137)');
  return death(`the sandbox container exited with code ${s.ExitCode}${s.Error ? `: ${s.Error}` : ''}`);
}
