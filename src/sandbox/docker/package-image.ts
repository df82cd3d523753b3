import { createHash } from 'node:crypto';
import { execCollect, type Container, type Docker } from './client';
import { buildDerived, derivedImage, PACKAGES_KIND, type BaseImage, type DerivedBuild } from './derived-image';
import { PackageInstallError } from './errors';
import { describePackages, INSTALL_ENV, installFailure, MANAGERS, RECIPES, type Manager, type PackageSet } from './package-managers';

// The environment's packages as a derived image (derived-image.ts): one per (base image id, package set), built once
// by installing into a container of the base image through the egress proxy under the session's policy, then reused
// by every session with the same base and packages, so a second session starts as fast as one without packages.

/** Bumped when the install recipe changes, so images built the old way are not reused. */
const RECIPE_VERSION = 1;

export type PackageBuild = DerivedBuild;

export function packagesKey(baseId: string, set: PackageSet): string {
  return createHash('sha256').update(JSON.stringify({ v: RECIPE_VERSION, base: baseId, set })).digest('hex');
}

/** The derived image's tag for this base and package set, building it first when the engine lacks it. */
export function packagedImage(docker: Docker, base: BaseImage, set: PackageSet, build: PackageBuild): Promise<string> {
  const key = packagesKey(base.id, set);
  return derivedImage(docker, PACKAGES_KIND, key, build, (tag) => buildImage(docker, base, set, build, tag, key), `Using the cached image with the environment's packages (${describePackages(set)})`);
}

async function buildImage(docker: Docker, base: BaseImage, set: PackageSet, build: PackageBuild, tag: string, key: string): Promise<void> {
  const sessionId = build.sessionId;
  if (sessionId === null) throw new PackageInstallError(`the environment's packages (${describePackages(set)}) are installed at a session's first provision; warm containers for it are made once that image exists.`);
  if (!build.egressPlan || build.egressPlan.env.length === 0) {
    throw new PackageInstallError(`the environment's packages (${describePackages(set)}) cannot be installed: this Hangar has no egress proxy for the sandbox network, so no registry is reachable.`);
  }
  const started = Date.now();
  build.onProgress?.(`Installing the environment's packages (${describePackages(set)}) into an image based on ${base.ref}; later sessions reuse it`);
  await buildDerived(docker, base, { ...build, sessionId }, PACKAGES_KIND, tag, key, {
    run: (container, proxyEnv) => installAll(container, set, [...proxyEnv, ...INSTALL_ENV], build.onProgress),
    scratch: [],
    changes: () => [],
  });
  build.onProgress?.(`Installed the environment's packages in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

async function installAll(container: Container, set: PackageSet, env: string[], onProgress?: (m: string) => void): Promise<void> {
  const used = MANAGERS.filter((m) => set[m].length > 0);
  // A manager the image lacks comes from Debian first (npm, pip3, gem, cargo, go), in the same apt run as the apt packages.
  const has = async (tool: string) => (await execCollect(container, { cmd: ['sh', '-c', `command -v ${tool}`], user: '0' })).exitCode === 0;
  if (await has('curl')) {
    for (const m of used) {
      const url = RECIPES[m].probe;
      if (!url) continue;
      const r = await execCollect(container, { cmd: ['curl', '-sS', '-o', '/dev/null', '--max-time', '30', url], user: '0', env });
      if (r.exitCode !== 0) throw new PackageInstallError(installFailure(m, set[m], r.exitCode, `could not resolve or reach ${url}: ${r.stderr.toString('utf8')}`));
    }
  }
  const tools: string[] = [];
  const bootstraps: Manager[] = [];
  for (const m of used) {
    const recipe = RECIPES[m];
    if (m === 'apt' || (await has(recipe.tool))) continue;
    if (recipe.bootstrap && (await has(recipe.bootstrap.runtime))) bootstraps.push(m);
    else tools.push(...recipe.debian);
  }
  if (tools.length > 0) onProgress?.(`The image lacks what some package managers need; installing ${tools.join(', ')} with apt first`);
  const apt = [...set.apt, ...tools];
  if (apt.length > 0) await runManager(container, 'apt', RECIPES.apt.commands(apt), set.apt, env, onProgress);
  for (const m of bootstraps) await runManager(container, m, [['sh', '-c', RECIPES[m].bootstrap?.script ?? 'false']], set[m], env, onProgress);
  for (const m of used) if (m !== 'apt') await runManager(container, m, RECIPES[m].commands(set[m]), set[m], env, onProgress);
}

/** Runs one manager's commands; a failure names the environment's packages of that manager (`named`). */
async function runManager(container: Container, manager: Manager, commands: string[][], named: string[], env: string[], onProgress?: (m: string) => void): Promise<void> {
  for (const cmd of commands) {
    onProgress?.(`${manager}: ${cmd.join(' ').split('\n')[0]}`);
    let partial = '';
    const r = await execCollect(container, {
      cmd,
      user: '0',
      env,
      onStdout: (chunk) => {
        // Progress line by line, the last of each chunk kept until its end arrives.
        const lines = (partial + chunk.toString('utf8')).split('\n');
        partial = lines.pop() ?? '';
        for (const l of lines) if (l.trim()) onProgress?.(`${manager}: ${l.trim()}`);
      },
    });
    if (r.exitCode !== 0) {
      const output = `${r.stdout.toString('utf8')}\n${r.stderr.toString('utf8')}`;
      throw new PackageInstallError(installFailure(manager, named.length > 0 ? named : [cmd.join(' ')], r.exitCode, output));
    }
  }
}
