import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';
import { DockerSandboxProvider, type DockerSandboxProviderOptions } from '../../../src/sandbox/docker';
import { connectDocker } from '../../../src/sandbox/docker/client';
import { DEFAULT_IMAGE } from '../../../src/sandbox/docker/plan';
import type { Sandbox, SandboxProvider } from '../../../src/sandbox/types';
import type { ToolOutcome } from '../../../src/wire/tool-outcome';
import { SandboxEnvironment } from '../../../src/wire/environment';
import { tmpDir } from '../../support/tmp';

// Shared setup for the Docker integration tests. A missing engine or image FAILS these tests (never skips them):
// CI installs and starts the engine and builds the image first.

export const TIMEOUT = 180_000;

/** The engine, or a failure that says how to get one. */
export async function requireDocker(): Promise<Docker> {
  const docker = await connectDocker();
  try {
    await docker.getImage(DEFAULT_IMAGE).inspect();
  } catch {
    throw new Error(`the image ${DEFAULT_IMAGE} is missing: run sandbox/build-image.sh (after scripts/setup/docker-engine.sh)`);
  }
  return docker;
}

export function env(config: Record<string, unknown> = {}): SandboxEnvironment {
  return SandboxEnvironment.parse({ type: 'cloud', ...config });
}

export { tmpDir };

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });

/** A git repository with the given files committed (Buffer values are written as is). */
export function makeRepo(files: Record<string, string | Buffer>, opts: { commit?: boolean } = {}): string {
  const dir = tmpDir('repo');
  for (const [rel, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), content);
  }
  git(dir, 'init', '-q');
  if (opts.commit !== false) {
    git(dir, 'add', '-A');
    git(dir, 'commit', '-qm', 'init');
  }
  return dir;
}

export function newProvider(options: Partial<DockerSandboxProviderOptions> = {}): DockerSandboxProvider {
  return new DockerSandboxProvider({ storageRoot: tmpDir('store'), ...options });
}

/** Removes every sandbox the providers made and closes them: a suite's `after`. */
export async function retireAll(providers: readonly SandboxProvider[]): Promise<void> {
  for (const p of providers) {
    await p.reap(new Set());
    await p.close();
  }
}

export function text(o: ToolOutcome): string {
  return o.content.map((b) => (b.type === 'text' ? b.text : `[${b.type}]`)).join('\n');
}

/** Runs a tool and fails the test when it reports an error. */
export async function ok(sb: Sandbox, name: string, input: unknown): Promise<string> {
  const o = await sb.execute(name, input);
  if (o.is_error) throw new Error(`${name} ${JSON.stringify(input)} failed: ${text(o)}`);
  return text(o);
}

/** Checksum of a directory tree: paths, types, modes, sizes, mtimes, contents and link targets. */
export function treeChecksum(root: string): string {
  const h = createHash('sha256');
  const walk = (rel: string) => {
    for (const name of fs.readdirSync(path.join(root, rel)).sort()) {
      const child = rel ? `${rel}/${name}` : name;
      const abs = path.join(root, child);
      const st = fs.lstatSync(abs);
      h.update(`${child}\0${st.mode}\0${st.size}\0${st.mtimeMs}\0${st.uid}\0`);
      if (st.isSymbolicLink()) h.update(fs.readlinkSync(abs));
      else if (st.isFile()) h.update(fs.readFileSync(abs));
      else if (st.isDirectory()) walk(child);
    }
  };
  walk('');
  return h.digest('hex');
}

export function sandboxContainerId(sb: Sandbox): string {
  const id = (sb as { containerId?: string | null }).containerId;
  if (!id) throw new Error('the sandbox has no container');
  return id;
}
