import { SandboxSetupError } from '../errors';

// Typed errors of the Docker provider. Each message names the fix, because it is shown to a user who did not
// choose to think about Docker.

export class DockerUnavailableError extends Error {
  override readonly name = 'DockerUnavailableError';
  constructor(detail: string) {
    super(
      `No Docker engine answers (${detail}). Start one (Linux: \`sudo systemctl start docker\`, or ` +
        '`scripts/setup/docker-engine.sh` in this repository; macOS/Windows: start Docker Desktop), ' +
        'or run sessions without containers by setting `hangar.sandbox.provider: "local"` in the environment config.',
    );
  }
}

export class ImageMissingError extends Error {
  override readonly name = 'ImageMissingError';
  constructor(readonly image: string) {
    super(
      `The sandbox image ${image} is not present in the Docker engine. Build the default image with ` +
        '`sandbox/build-image.sh`, or set the environment\'s metadata key `hangar.image` to an image you have.',
    );
  }
}

export class DiskFullError extends Error {
  override readonly name = 'DiskFullError';
  constructor(detail: string) {
    super(
      `The disk is full (${detail}). Free space (for example \`docker system prune\`, or delete old sessions) and retry.`,
    );
  }
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
  if (/no space left on device|ENOSPC/i.test(e.message)) return new DiskFullError(e.message);
  if (context.image && e.statusCode === 404 && /no such image|not found/i.test(e.message)) {
    return new ImageMissingError(context.image);
  }
  return err instanceof Error ? err : new Error(e.message);
}
