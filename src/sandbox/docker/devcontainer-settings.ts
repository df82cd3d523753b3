import { WORKSPACE } from './container';
import type { DevcontainerSpec } from './devcontainer';
import { DevcontainerError } from './errors';

// What devcontainer.json asks of the running container besides its image, the way the spec says it
// (containers.dev/implementors/json_reference): variables substituted, environment merged, lifecycle commands in
// their order, and the settings Hangar does not honour named with the reason. Hangar runs one hardened container per
// session: it never runs anything on the host, adds no capability or mount, and keeps the workspace at /workspace.

/** Settings that would weaken the sandbox or need what it does not have: not applied, and the user is told why. */
export const REFUSED: Record<string, string> = {
  privileged: 'a privileged container could escape the sandbox',
  capAdd: 'the sandbox drops every capability',
  securityOpt: 'the sandbox keeps its own security options',
  runArgs: 'arbitrary `docker run` arguments could undo the sandbox (privileges, host mounts, host network)',
  mounts: 'host mounts would expose your machine to the agent',
  workspaceMount: 'the repository reaches the sandbox as Hangar\'s own copy, never as a host mount',
  initializeCommand: 'it runs on your machine, outside any sandbox',
  appPort: 'the sandbox publishes no ports',
  forwardPorts: 'the sandbox publishes no ports',
};

/** The refused settings a devcontainer.json has, each with the reason, for the session's status. */
export function refusedSettings(raw: Record<string, unknown>): string[] {
  return Object.keys(REFUSED)
    .filter((k) => raw[k] !== undefined && !(Array.isArray(raw[k]) && raw[k].length === 0) && !(typeof raw[k] === 'object' && raw[k] !== null && Object.keys(raw[k]).length === 0))
    .map((k) => `${k} (${REFUSED[k]})`);
}

/** The workspace folder the devcontainer may name: Hangar's, where the repository copy is. */
export function checkWorkspaceFolder(spec: DevcontainerSpec): void {
  const wanted = spec.workspaceFolder?.replace(/\/+$/, '');
  if (wanted !== undefined && wanted !== WORKSPACE) {
    throw new DevcontainerError(`workspaceFolder ${JSON.stringify(spec.workspaceFolder)} is not supported: Hangar's sandbox keeps the repository at ${WORKSPACE}; remove workspaceFolder or set it to "${WORKSPACE}".`);
  }
}

export interface Substitution {
  /** The container's environment so far (the image's, then containerEnv): what ${containerEnv:NAME} reads. */
  containerEnv: Record<string, string>;
  localWorkspaceFolder: string;
  /** Names of host variables a ${localEnv:…} asked for: they are not read (they could hold secrets). */
  refusedLocalEnv: Set<string>;
}

const VARIABLE = /\$\{([A-Za-z]+)(?::([^}:]*))?(?::([^}]*))?\}/g;

/** Replaces the spec's variables in one value; ${localEnv:…} becomes its default (or empty) and is reported. */
export function substitute(value: string, ctx: Substitution): string {
  return value.replace(VARIABLE, (whole, kind: string, name: string | undefined, fallback: string | undefined) => {
    switch (kind) {
      case 'containerEnv':
        return (name && ctx.containerEnv[name]) ?? fallback ?? '';
      case 'localEnv':
        if (name) ctx.refusedLocalEnv.add(name);
        return fallback ?? '';
      case 'containerWorkspaceFolder':
        return WORKSPACE;
      case 'containerWorkspaceFolderBasename':
        return WORKSPACE.slice(1);
      case 'localWorkspaceFolder':
        return ctx.localWorkspaceFolder;
      case 'localWorkspaceFolderBasename':
        return ctx.localWorkspaceFolder.split('/').filter(Boolean).pop() ?? '';
      default:
        return whole;
    }
  });
}

export function envRecord(env: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of env) {
    const i = kv.indexOf('=');
    if (i > 0) out[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return out;
}

/**
 * The variables devcontainer.json sets: containerEnv substituted against the image's environment, then remoteEnv
 * against that (a null remoteEnv value removes the variable), as NAME=value lines that replace the image's.
 */
export function devcontainerEnv(spec: DevcontainerSpec, imageEnv: readonly string[], localWorkspaceFolder: string, onProgress?: (m: string) => void): string[] {
  const ctx: Substitution = { containerEnv: envRecord(imageEnv), localWorkspaceFolder, refusedLocalEnv: new Set() };
  const set: Record<string, string> = {};
  for (const [k, v] of Object.entries(spec.containerEnv)) set[k] = substitute(v, ctx);
  ctx.containerEnv = { ...ctx.containerEnv, ...set };
  const removed: string[] = [];
  for (const [k, v] of Object.entries(spec.remoteEnv)) {
    if (v === null) {
      delete set[k];
      removed.push(k);
    } else set[k] = substitute(v, ctx);
  }
  if (ctx.refusedLocalEnv.size > 0) {
    onProgress?.(`devcontainer.json: \${localEnv:${[...ctx.refusedLocalEnv].join('}, ${localEnv:')}} left empty (or its default): variables of your machine never enter the sandbox`);
  }
  // A variable remoteEnv removes is set empty: the image's value would otherwise show through.
  return [...Object.entries(set).map(([k, v]) => `${k}=${v}`), ...removed.filter((k) => k in ctx.containerEnv).map((k) => `${k}=`)];
}

export type LifecycleCommand = { step: string; argv: string[] };
export type CommandValue = string | string[] | Record<string, string | string[]>;

/** A lifecycle command as argv lists: a string runs in a shell, an array runs as is, an object runs each entry. */
export function commandArgvs(command: CommandValue): string[][] {
  if (typeof command === 'string') return [['/bin/sh', '-c', command]];
  if (Array.isArray(command)) return command.length > 0 ? [command] : [];
  return Object.values(command).flatMap(commandArgvs);
}

type Step = 'onCreateCommand' | 'updateContentCommand' | 'postCreateCommand' | 'postStartCommand' | 'postAttachCommand';

/** Where lifecycle commands come from: each feature (in install order), then devcontainer.json itself. */
export interface CommandSource {
  /** Appended to the step's name in progress and errors, e.g. " (feature ./tool)"; empty for devcontainer.json. */
  origin: string;
  commands: Partial<Record<Step, CommandValue>>;
}

// The spec runs each step's commands from the features first, in their install order, then the devcontainer's own.
const steps = (sources: readonly CommandSource[], names: readonly Step[]): LifecycleCommand[] =>
  names.flatMap((step) =>
    sources.flatMap(({ origin, commands }) => {
      const value = commands[step];
      return value === undefined ? [] : commandArgvs(value).map((argv) => ({ step: `${step}${origin}`, argv }));
    }),
  );

/** Commands that run once per session volume, in the spec's order. */
export const createCommands = (sources: readonly CommandSource[]) => steps(sources, ['onCreateCommand', 'updateContentCommand', 'postCreateCommand']);
/** Commands that run each time a container starts on the volume (postStart, then postAttach: the agent attaches then). */
export const startCommands = (sources: readonly CommandSource[]) => steps(sources, ['postStartCommand', 'postAttachCommand']);
