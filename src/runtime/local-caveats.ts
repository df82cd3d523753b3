import { existsSync } from 'node:fs';
import path from 'node:path';
import { SandboxLimits, type SandboxEnvironment } from '../wire';

// What the local provider runs differently from the Docker provider, said when a session starts (issue #19 §9): it
// has no isolation, so the environment's networking and limits are not enforced, an image is not used, and the
// repository's devcontainer.json (image, features, environment, lifecycle commands) is not applied. What it cannot do
// at all (packages) is refused at creation instead (providerProblem in environments.ts).

const DEFAULT_LIMITS = SandboxLimits.parse({});

/** The status line a local session starts with: what runs differently here, and what to use instead. */
export function localProviderCaveats(sandbox: SandboxEnvironment, repoPath: string | undefined): string {
  const differences: string[] = [];
  const n = sandbox.networking;
  if (n.type === 'limited') {
    const allowed = [...n.allowed_hosts, ...(n.allow_package_managers ? ['package managers'] : []), ...(n.allow_mcp_servers ? ['MCP servers'] : [])];
    differences.push(`the environment's networking (limited to ${allowed.length > 0 ? allowed.join(', ') : 'nothing'}) is not enforced: commands reach whatever this machine reaches`);
  }
  const changed = (Object.keys(DEFAULT_LIMITS) as (keyof SandboxLimits)[]).filter((k) => sandbox.hangar.limits[k] !== DEFAULT_LIMITS[k]);
  if (changed.length > 0) differences.push(`its limits (${changed.map((k) => `${k} ${sandbox.hangar.limits[k]}`).join(', ')}) are not enforced`);
  if (sandbox.hangar.image) differences.push(`its image ${sandbox.hangar.image} is not used`);
  const devcontainer = repoPath ? ['.devcontainer/devcontainer.json', '.devcontainer.json'].find((rel) => existsSync(path.join(repoPath, rel))) : undefined;
  if (devcontainer) differences.push(`the repository's ${devcontainer} is not applied (no image, features, containerEnv/remoteEnv or lifecycle commands)`);
  return (
    'Local sandbox: commands run on this machine as you, without isolation, in a copy of the repository' +
    (differences.length > 0 ? `; ${differences.join('; ')}` : '') +
    '. Use the Docker provider (--provider docker, or hangar.sandbox.provider "docker" in VS Code) for an isolated sandbox.'
  );
}
