import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { LocalSandboxProvider } from '../sandbox/local';
import type { SandboxProvider } from '../sandbox/types';

// The sandbox provider a surface (CLI, VS Code) asks for by name. Docker is imported on demand: the local provider
// must not load dockerode.

export type ProviderKind = 'local' | 'docker';

export async function createProvider(kind: ProviderKind, storageRoot: string): Promise<SandboxProvider> {
  if (kind === 'local') return new LocalSandboxProvider({ storageRoot });
  const { DockerSandboxProvider } = await import('../sandbox/docker');
  return new DockerSandboxProvider({ storageRoot, toolServerPath: shippedToolServer() });
}

/**
 * The tool server bundle shipped next to the running bundle (dist/toolserver.cjs beside dist/extension.cjs or
 * dist/cli.js). A packaged extension has no esbuild to build it at run time; from sources there is no such file and
 * the Docker provider bundles the tool server itself.
 */
export function shippedToolServer(): string | undefined {
  const file = fileURLToPath(new URL('./toolserver.cjs', import.meta.url));
  return existsSync(file) ? file : undefined;
}
