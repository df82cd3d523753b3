import { SKILLS_DIR } from '../../wire/skill';
import type { ToolOutcome } from '../../wire/tool-outcome';
import type { ToolOutputSnapshot } from '../../wire/tool-output';
import { installAccount } from './account';
import { attachMain, execCollect, type AttachedProcess, type Container, type Docker, type ExecResult, type ExecSpec } from './client';
import { createContainer, startCreated, WORKSPACE } from './container';
import { classifyEngineError, DevcontainerError } from './errors';
import { ExecTools } from './exec-tools';
import type { LifecycleCommand } from './devcontainer-settings';
import type { ContainerSettings } from './state';
import type { BuiltToolServer } from './toolserver-build';
import { mainToolServerArgv, ToolServerClient, ToolServerUnavailable, type ToolServerStart } from './toolserver-client';

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

function toolServerStart(ctx: HandsContext, toolServer: BuiltToolServer, settings: ContainerSettings): ToolServerStart {
  return {
    code: toolServer.code,
    user: settings.user,
    env: [`HOME=${settings.home}`, `USER=${settings.user.split(':')[0]}`],
    config: { root: WORKSPACE, stateDir: SHELL_STATE, readOnlyRoots: [SKILLS_DIR], env: envRecord(settings.env), memoryMb: settings.limits.memory_mb, ...ctx.tools },
  };
}

/** The tools on `server`'s answer: the tool server, or the exec fallback when the image cannot run it. */
async function handsOn(container: Container, settings: ContainerSettings, server: Promise<ToolServerClient> | null): Promise<Hands> {
  let why = 'the sandbox runs without Hangar\'s tool server';
  if (server) {
    try {
      const client = await server;
      return { container, runner: client, server: client };
    } catch (err) {
      if (!(err instanceof ToolServerUnavailable)) throw err;
      why = err.message;
    }
  }
  return { container, runner: new ExecTools(() => container, settings.user, WORKSPACE, why), server: null };
}

/** Connects tools to a running container: a tool server started by exec when the image can run it, else the exec fallback. */
export function attachHands(ctx: HandsContext, container: Container, settings: ContainerSettings): Promise<Hands> {
  return handsOn(container, settings, ctx.toolServer && ToolServerClient.start(container, toolServerStart(ctx, ctx.toolServer, settings)));
}

/** A created container, and (with a tool server) its main process attached: the tool server once it starts. */
export interface PreparedContainer {
  container: Container;
  main: { stdio: AttachedProcess; start: ToolServerStart } | null;
}

/**
 * Creates (without starting) a container on the layer's volume, its main process the tool server when there is one,
 * attached now so nothing it says is missed.
 */
export async function prepareContainer(ctx: HandsContext, spec: HandsSpec): Promise<PreparedContainer> {
  const start = ctx.toolServer && toolServerStart(ctx, ctx.toolServer, spec.settings);
  const container = await createContainer(ctx.docker, {
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
    main: start ? mainToolServerArgv(start) : undefined,
  });
  if (!start) return { container, main: null };
  try {
    return { container, main: { stdio: await attachMain(container), start } };
  } catch (err) {
    await container.remove({ force: true }).catch(() => undefined);
    throw classifyEngineError(err);
  }
}

/**
 * Starts a prepared container (`start`: startPrepared or a caller's wrapper of it) and returns once it runs, with its
 * tools to come: the main tool server once it says it is ready, or the exec fallback when the image cannot run it (no
 * Node.js 18+; the container lives on). The caller may do its own work in the container meanwhile (the CA, the copy).
 */
export async function startWithHands(prepared: PreparedContainer, settings: ContainerSettings, start: (c: Container) => Promise<void> = (c) => startPrepared(c, settings)): Promise<{ hands: Promise<Hands> }> {
  const { container, main } = prepared;
  const started = start(container);
  const server = main && ToolServerClient.over(main.stdio, main.start, started);
  // Read after the start, or never if the caller fails before: not an unhandled rejection meanwhile.
  server?.catch(() => undefined);
  try {
    await started;
  } catch (err) {
    main?.stdio.stdin.destroy();
    throw err;
  }
  const hands = handsOn(container, settings, server);
  hands.catch(() => undefined);
  return { hands };
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
