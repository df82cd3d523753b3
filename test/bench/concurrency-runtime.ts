// The runtime the concurrency bench's sessions run on: local, or Docker as `hangar serve` makes it (its warm pool,
// grown by bursts), and what its pool holds and hands out.
import { Runtime } from '../../src/runtime';
import { createAnthropicModel } from '../../src/model/anthropic';
import { LocalSandboxProvider } from '../../src/sandbox/local';
import type { DockerSandboxProvider } from '../../src/sandbox/docker';
import { containerName, LABEL_ROOT, LABEL_SESSION, POOL_SESSION, poolContainerName, rootKey } from '../../src/sandbox/docker/names';
import type { SandboxProvider } from '../../src/sandbox/types';
import { MemoryVault } from '../../src/vault/memory';

export interface PoolSizing {
  size: number;
  max: number;
}

export interface BenchRuntime {
  rt: Runtime;
  docker: DockerSandboxProvider | null;
  close(): Promise<void>;
}

/** A runtime on the bench's storage; on Docker with the provider `hangar serve` makes (its warm pool, grown by bursts). */
export async function openRuntime(sandbox: 'local' | 'docker', storage: string, modelUrl: string, pool: PoolSizing): Promise<BenchRuntime> {
  const docker = sandbox === 'docker' ? new (await import('../../src/sandbox/docker')).DockerSandboxProvider({ storageRoot: storage, warmPool: pool.size, warmPoolMax: pool.max }) : null;
  const provider: SandboxProvider = docker ?? new LocalSandboxProvider({ storageRoot: storage });
  const rt = new Runtime({ storageRoot: storage, vault: new MemoryVault(), sandbox: provider, model: createAnthropicModel({ apiKey: async () => 'k', baseURL: modelUrl }), owner: 'bench' });
  return {
    rt,
    docker,
    close: async () => {
      await rt.close();
      if (docker) await docker.reap(new Set());
    },
  };
}

/** This provider's warm containers that no session claimed yet (made under the pool's session label and name). */
export async function warmReady(docker: DockerSandboxProvider): Promise<number> {
  const engine = await docker.docker();
  const pooled = await engine.listContainers({ filters: { label: [`${LABEL_ROOT}=${rootKey(docker.root)}`, `${LABEL_SESSION}=${POOL_SESSION}`] } });
  return pooled.filter((c) => c.Names.some((n) => n.startsWith(`/${poolContainerName(docker.root, '')}`))).length;
}

/** How many of the sessions run in a container the pool made (its session label is the pool's, its name the session's). */
export async function claimedWarm(docker: DockerSandboxProvider, sessionIds: string[]): Promise<number> {
  const engine = await docker.docker();
  const names = new Set(sessionIds.map((id) => `/${containerName(docker.root, id)}`));
  const pooled = await engine.listContainers({ all: true, filters: { label: [`${LABEL_ROOT}=${rootKey(docker.root)}`, `${LABEL_SESSION}=${POOL_SESSION}`] } });
  return pooled.filter((c) => c.Names.some((n) => names.has(n))).length;
}
