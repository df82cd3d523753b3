import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { SandboxProvider } from '../sandbox/types';

// The sandbox provider a surface (CLI, VS Code) asks for by name. Both are imported on demand: the local provider must
// not load dockerode, and a CLI command that opens no sandbox (--help, sessions) loads neither (nor the tools' schemas
// the local provider brings). "auto" (the default) gives every session its own container when Docker can, and says
// why when it cannot.

export type ProviderKind = 'auto' | 'local' | 'docker';
export const PROVIDER_KINDS: readonly ProviderKind[] = ['auto', 'local', 'docker'];

export interface ProviderOptions {
  /** Docker: how a released session's container goes (see DockerSandboxProviderOptions.teardown). */
  teardown?: 'wait' | 'detached';
  /** Docker: ready containers kept per environment (see DockerSandboxProviderOptions.warmPool); default none. */
  warmPool?: number;
  /** Docker: what a burst of sessions may grow the pool to (see DockerSandboxProviderOptions.warmPoolMax); default warmPool. */
  warmPoolMax?: number;
  /** Docker: the engine, a host address or a Docker context name (see DockerSandboxProviderOptions.engine). */
  dockerHost?: string;
  /** Docker: warm containers shared across processes (see DockerSandboxProviderOptions.sharedPool). */
  sharedPool?: { size: number; idleMs: number; keeperCommand: readonly string[] };
}

export async function createProvider(kind: ProviderKind, storageRoot: string, onNotice?: (message: string) => void, options: ProviderOptions = {}): Promise<SandboxProvider> {
  const local = async () => new (await import('../sandbox/local')).LocalSandboxProvider({ storageRoot });
  if (kind === 'local') return local();
  const docker = await import('../sandbox/docker');
  if (kind === 'auto') {
    const reason = await docker.dockerUnreadyReason(undefined, options.dockerHost);
    if (reason) {
      onNotice?.(`Sessions use the local sandbox (a private copy, no isolation) because Docker sandboxes are not available: ${reason}`);
      return local();
    }
  }
  return new docker.DockerSandboxProvider({ storageRoot, toolServerPath: shippedToolServer(), teardown: options.teardown, warmPool: options.warmPool, warmPoolMax: options.warmPoolMax, sharedPool: options.sharedPool, engine: options.dockerHost });
}

/**
 * The tool server bundle shipped next to the running bundle (dist/toolserver.cjs beside dist/extension.cjs or
 * dist/cli.mjs). A packaged extension has no esbuild to build it at run time; from sources there is no such file and
 * the Docker provider bundles the tool server itself.
 */
export function shippedToolServer(): string | undefined {
  const file = fileURLToPath(new URL('./toolserver.cjs', import.meta.url));
  return existsSync(file) ? file : undefined;
}
