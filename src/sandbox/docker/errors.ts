import { SandboxOutOfSpaceError, SandboxSetupError } from '../errors';

// Typed errors of the Docker provider. Each message names the fix, because it is shown to a user who did not
// choose to think about Docker.

/** The engine an error happened on, as messages name it (engine.ts's EngineTarget). */
export interface EngineName {
  label: string;
  local: boolean;
  /** Docker CLI arguments that reach the engine (`docker <cli> load`). */
  cli: string;
}

/** Another engine than the local default: messages name it and give fixes that work there. */
const remote = (engine?: EngineName): engine is EngineName => !!engine && !engine.local;

export class DockerUnavailableError extends Error {
  override readonly name = 'DockerUnavailableError';
  constructor(
    readonly detail: string,
    readonly engine?: EngineName,
  ) {
    super(
      remote(engine)
        ? `The Docker engine at ${engine.label} does not answer (${detail}). Check that it runs and that this machine ` +
            'reaches it (address, port, firewall), or choose another engine (`hangar.sandbox.dockerHost` in VS Code, ' +
            'DOCKER_HOST or DOCKER_CONTEXT for the CLI).'
        : `No Docker engine answers (${detail}). Start one (Linux: \`sudo systemctl start docker\`, or ` +
            '`scripts/setup/docker-engine.sh` in this repository; macOS/Windows: start Docker Desktop), ' +
            'or run sessions without containers by setting `hangar.sandbox.provider: "local"` in the environment config.',
    );
  }
}

/** The TLS handshake with a remote engine failed: its certificate, ours, or plain HTTP against a TLS port. */
export class DockerTlsError extends Error {
  override readonly name = 'DockerTlsError';
  constructor(
    readonly detail: string,
    readonly engine: EngineName,
  ) {
    super(
      `The TLS connection to the Docker engine at ${engine.label} failed: ${detail}. Use the engine's CA (ca.pem) and a ` +
        'client certificate it trusts (cert.pem, key.pem): DOCKER_CERT_PATH with DOCKER_TLS_VERIFY=1, or a Docker context ' +
        'made with `docker context create NAME --docker host=tcp://HOST:PORT,ca=…,cert=…,key=…`.',
    );
  }
}

/** ssh to a remote engine failed: not reached, the key refused, the host key unknown, or no docker CLI there. */
export class DockerSshError extends Error {
  override readonly name = 'DockerSshError';
  constructor(
    readonly detail: string,
    readonly engine: EngineName,
  ) {
    super(
      `The ssh connection to the Docker engine at ${engine.label} failed: ${detail}. Hangar runs \`ssh HOST docker system dial-stdio\` ` +
        'as Docker\'s CLI does, with your ssh configuration and without prompting: check that `ssh HOST docker version` works from ' +
        'this machine without a password (a key in ssh-agent or an IdentityFile in ~/.ssh/config that the host accepts, the host ' +
        'key in known_hosts, and the docker CLI on that machine), or choose another engine (`hangar.sandbox.dockerHost` in VS Code, ' +
        'DOCKER_HOST or DOCKER_CONTEXT for the CLI).',
    );
  }
}

export class ImageMissingError extends Error {
  override readonly name = 'ImageMissingError';
  constructor(
    readonly image: string,
    readonly engine?: EngineName,
  ) {
    super(
      remote(engine)
        ? `The sandbox image ${image} is not present in the Docker engine at ${engine.label}. Hangar's images are built ` +
            `locally, not pulled from a registry: copy it there from this machine with \`docker save ${image} | docker ${engine.cli} load\` ` +
            '(build it first with `sandbox/build-image.sh` if this machine lacks it too), or set the environment\'s metadata key ' +
            '`hangar.image` to an image that engine has.'
        : `The sandbox image ${image} is not present in the Docker engine. Build the default image with ` +
            '`sandbox/build-image.sh`, or set the environment\'s metadata key `hangar.image` to an image you have.',
    );
  }
}

/**
 * The engine's disk is full: a sandbox cannot be made or started there until the user frees space. It ends the turn
 * (SandboxDamagedError: every tool would fail the same way) but is not a setup failure, so the next message tries
 * again, once space is freed.
 */
export class DiskFullError extends SandboxOutOfSpaceError {
  override readonly name = 'DiskFullError';
  constructor(
    readonly detail: string,
    readonly engine?: EngineName,
  ) {
    super(
      remote(engine)
        ? `The Docker engine at ${engine.label} is out of disk space (${detail}). Sessions' files, images and containers ` +
            `live on that engine's disk (its data root), not on this machine: free space there. \`docker ${engine.cli} system df\` ` +
            `shows what uses it; \`docker ${engine.cli} system prune\` removes stopped containers, dangling images and build cache; ` +
            'deleting Hangar sessions you no longer need (`hangar delete ID`, or Delete in VS Code) removes their volumes. Then send ' +
            'the session a message to try again.'
        : `The Docker engine's disk is full (${detail}). Free space on this machine: \`docker system df\` shows what Docker ` +
            'uses; `docker system prune` removes stopped containers, dangling images and build cache; deleting Hangar sessions ' +
            'you no longer need (`hangar delete ID`, or Delete in VS Code) removes their volumes. Then send the session a message to try again.',
    );
  }
}

// The kernel's words (ENOSPC), and git's when it cannot write an object.
const NO_SPACE = /no space left on device|ENOSPC|out of diskspace/i;

/** Whether an error (an engine's, or one quoting a command's output) says a disk was full. */
export function saysDiskFull(err: unknown): boolean {
  return NO_SPACE.test(asEngineError(err).message);
}

/** An engine error's message without dockerode's "(HTTP code 500) server error - " prefix. */
function engineMessage(err: unknown): string {
  return asEngineError(err).message.replace(/^\(HTTP code \d+\)[^-]*- /, '').trim();
}

/** A system call of this process failed (Node's fs errors carry the call): this machine's disk, not the engine's. */
const onThisHost = (err: unknown) => !!err && typeof err === 'object' && typeof (err as { syscall?: unknown }).syscall === 'string';

/**
 * The error with the engine named in it, for the typed errors that say which engine failed. Any other error that
 * says a disk was full (a copy into a volume, a devcontainer feature's install) becomes a DiskFullError too: the disk
 * is the engine's, unless this process's own file call failed.
 */
export function onEngine(err: unknown, engine: EngineName): unknown {
  if (!(err instanceof DiskFullError) && saysDiskFull(err) && !onThisHost(err)) return new DiskFullError(engineMessage(err), engine);
  if (engine.local) return err;
  if (err instanceof DockerUnavailableError && !err.engine) return new DockerUnavailableError(err.detail, engine);
  if (err instanceof ImageMissingError && !err.engine) return new ImageMissingError(err.image, engine);
  if (err instanceof DiskFullError && !err.engine) return new DiskFullError(err.detail, engine);
  return err;
}

const TLS_CODES = /^(ERR_TLS_|ERR_SSL_|CERT_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_(VERIFY|GET)_|EPROTO)/;

/**
 * What went wrong in a TLS handshake, in words, or null when `err` is no TLS failure. A plain-HTTP request to a TLS
 * port comes back as the engine's 400 "Client sent an HTTP request to an HTTPS server".
 */
export function tlsProblem(err: unknown): string | null {
  const e = asEngineError(err);
  if (e.statusCode === 400 && /HTTP request to an HTTPS server/i.test(e.message)) return 'the engine speaks TLS but no TLS settings were given (set DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH, or use a Docker context with certificates)';
  if (!e.code || !TLS_CODES.test(e.code)) return null;
  if (/ALTNAME/.test(e.code)) return `the engine's certificate is not for this address (${e.message})`;
  if (/EXPIRED|NOT_YET_VALID/.test(e.code)) return `the engine's certificate is not valid now (${e.message})`;
  if (/SELF_SIGNED|UNABLE_TO|VERIFY/.test(e.code)) return `the engine's certificate is not signed by the CA given (${e.message})`;
  if (/CERTIFICATE_REQUIRED|BAD_CERTIFICATE|UNKNOWN_CA|ALERT/.test(e.code) || /alert/i.test(e.message)) return `the engine refused this client's certificate (${e.message})`;
  return e.message;
}

export class DevcontainerError extends SandboxSetupError {
  override readonly name = 'DevcontainerError';
}

/** An environment package did not install: the message names the package, or the registry that was not reached. */
export class PackageInstallError extends SandboxSetupError {
  override readonly name = 'PackageInstallError';
  constructor(detail: string) {
    super(`Installing the environment's packages failed: ${detail}`);
  }
}

/** The engine refused to mount a host-path overlay volume (Docker Desktop, rootless, remote engines). */
export class OverlayUnsupportedError extends Error {
  override readonly name = 'OverlayUnsupportedError';
}

export interface EngineErrorShape {
  statusCode?: number;
  code?: string;
  message: string;
  json?: unknown;
}

function asEngineError(err: unknown): EngineErrorShape {
  if (err && typeof err === 'object' && 'message' in err) {
    const e = err as { statusCode?: unknown; code?: unknown; message: unknown; json?: unknown };
    return {
      statusCode: typeof e.statusCode === 'number' ? e.statusCode : undefined,
      code: typeof e.code === 'string' ? e.code : undefined,
      message: String(e.message),
      json: e.json,
    };
  }
  return { message: String(err) };
}

const CONNECT_CODES = new Set(['ENOENT', 'ECONNREFUSED', 'EACCES', 'EPERM', 'ECONNRESET', 'ENOTFOUND', 'ETIMEDOUT']);

export function isNotFound(err: unknown): boolean {
  return asEngineError(err).statusCode === 404;
}

export function isConflict(err: unknown): boolean {
  return asEngineError(err).statusCode === 409;
}

/** Turns an engine error into one of the typed errors above when it is one of the known cases; else returns it. */
export function classifyEngineError(err: unknown, context: { image?: string } = {}): Error {
  const e = asEngineError(err);
  if (e.code && CONNECT_CODES.has(e.code)) return new DockerUnavailableError(`${e.code}: ${e.message}`);
  if (NO_SPACE.test(e.message)) return new DiskFullError(engineMessage(err));
  if (context.image && e.statusCode === 404 && /no such image|not found/i.test(e.message)) {
    return new ImageMissingError(context.image);
  }
  return err instanceof Error ? err : new Error(e.message);
}
