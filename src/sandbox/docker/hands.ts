import { SKILLS_DIR } from '../../wire/skill';
import type { ToolOutcome } from '../../wire/tool-outcome';
import type { ToolOutputSnapshot } from '../../wire/tool-output';
import { installAccount } from './account';
import { execCollect, type Container, type Docker, type ExecResult, type ExecSpec } from './client';
import { createContainer, startCreated, WORKSPACE } from './container';
import { classifyEngineError, DevcontainerError } from './errors';
import { ExecTools } from './exec-tools';
import type { LifecycleCommand } from './devcontainer-settings';
import type { ContainerSettings } from './state';
import type { BuiltToolServer } from './toolserver-build';
import { ToolServerClient, ToolServerUnavailable } from './toolserver-client';

// "Hands": a running container plus the way tools reach it (the tool server, or one exec per call as fallback).
// Containers are cattle: hands are made for a layer (volume + settings) and remade on the same layer when they die.

export interface ToolRunner {
  /**
   * `onOutput`: the live end of a running command's output, where the transport can stream it (the tool server).
   * `shell`: the named shell bash runs in (ExecuteOptions.shell).
   */
  run(name: string, input: unknown, signal?: AbortSignal, onOutput?: (snapshot: ToolOutputSnapshot) => void, shell?: string): Promise<ToolOutcome>;
  closeShell(shell: string): Promise<void>;
}

export interface Hands {
  container: Container;
  runner: ToolRunner;
  server: ToolServerClient | null;
}

/** Runs a command in the sandbox as its user, for Hangar's own work there (not a tool call). */
export type SandboxExec = (spec: Pick<ExecSpec, 'cmd' | 'env' | 'workdir' | 'stdin'>) => Promise<ExecResult>;

/**
 * Through the tool server while it is up (one request on its open connection: ms, where an engine exec costs
 * 100-700 ms on a loaded engine), else as an engine exec.
 */
export function sandboxExec(hands: Hands, user: string): SandboxExec {
  const viaEngine = engineExec(hands.container, user);
  return (spec) => (hands.server?.alive ? hands.server.exec(spec) : viaEngine(spec));
}

/** Always an engine exec (no tool server yet: the copy into a container being made). */
export function engineExec(container: Container, user: string): SandboxExec {
  return (spec) => execCollect(container, { ...spec, user });
}

export interface HandsContext {
  docker: Docker;
  /** null: always use the exec fallback. */
  toolServer: BuiltToolServer | null;
  tools: { defaultTimeoutMs?: number; maxOutputChars?: number };
}

export interface HandsSpec {
  name: string;
  labels: Record<string, string>;
  volume: string;
  overlay: boolean;
  settings: ContainerSettings;
}

/** Where the shell keeps its cwd/env: on the container's /tmp, so a reattached tool server resumes there. */
const SHELL_STATE = '/tmp/hangar-shell';

function envRecord(env: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of env) {
    const i = kv.indexOf('=');
    if (i > 0) out[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return out;
}

/** Connects tools to a running container: the tool server when the image can run it, else the exec fallback. */
export async function attachHands(ctx: HandsContext, container: Container, settings: ContainerSettings): Promise<Hands> {
  const execEnv = [`HOME=${settings.home}`, `USER=${settings.user.split(':')[0]}`];
  let why = 'the sandbox runs without Hangar\'s tool server';
  if (ctx.toolServer) {
    try {
      const server = await ToolServerClient.start(container, {
        code: ctx.toolServer.code,
        user: settings.user,
        env: execEnv,
        config: { root: WORKSPACE, stateDir: SHELL_STATE, readOnlyRoots: [SKILLS_DIR], env: envRecord(settings.env), memoryMb: settings.limits.memory_mb, ...ctx.tools },
      });
      return { container, runner: server, server };
    } catch (err) {
      if (!(err instanceof ToolServerUnavailable)) throw err;
      why = err.message;
    }
  }
  return { container, runner: new ExecTools(() => container, settings.user, WORKSPACE, why), server: null };
}

/** Creates (without starting) a container on the layer's volume. */
export function prepareContainer(ctx: HandsContext, spec: HandsSpec): Promise<Container> {
  return createContainer(ctx.docker, {
    name: spec.name,
    image: spec.settings.image,
    user: spec.settings.user,
    env: spec.settings.env,
    labels: spec.labels,
    volume: spec.volume,
    noCopy: spec.overlay,
    limits: spec.settings.limits,
    networkMode: spec.settings.networkMode,
    binds: spec.settings.shipBinds ? [] : spec.settings.binds,
  });
}

/**
 * Starts a prepared container, adding the sandbox user's account first when the image lacks it (the engine resolves
 * Config.User at start). The engine mounts the volume for that write too, so an overlay's lower layer must be linked
 * by then. On failure the container is removed and the error classified.
 */
export async function startPrepared(container: Container, settings: ContainerSettings): Promise<void> {
  if (settings.account) {
    try {
      await installAccount(container, settings.account, settings);
    } catch (err) {
      await container.remove({ force: true }).catch(() => undefined);
      throw classifyEngineError(err);
    }
  }
  await startCreated(container);
}

/** Runs devcontainer lifecycle commands in order as the sandbox user, streaming their output as progress; the first failure stops them. */
export async function runLifecycle(container: Container, settings: ContainerSettings, commands: readonly LifecycleCommand[], onProgress?: (m: string) => void): Promise<void> {
  for (const { step, argv } of commands) {
    onProgress?.(`${step}: ${argv.join(' ')}`);
    const r = await execCollect(container, { cmd: argv, user: settings.user, workdir: WORKSPACE, env: [`HOME=${settings.home}`] });
    const output = `${r.stdout.toString('utf8')}${r.stderr.toString('utf8')}`.trim();
    for (const line of output.split('\n').slice(-50)) if (line) onProgress?.(line);
    if (r.exitCode !== 0) throw new DevcontainerError(`the devcontainer's ${step} ${JSON.stringify(argv.join(' '))} failed with exit code ${r.exitCode}:\n${output.slice(-2000)}`);
  }
}
