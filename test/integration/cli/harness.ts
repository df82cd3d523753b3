import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { nodeEsmBundle, toolServerBundle } from '../../../bundles.mjs';
import { startScriptedModel, type ScriptedModel } from '../../../src/model/scripted';
import { DockerSandboxProvider } from '../../../src/sandbox/docker';
import { makeRepo } from '../../support/runtime';

// The bundled CLI as a user runs it: a child process, the scripted model behind ANTHROPIC_BASE_URL, a temp
// HANGAR_HOME, a small git repository. Each test gets its own model, storage and repository.

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

type EnvExtra = Record<string, string | undefined>;

export interface CliWorld {
  /** The bundled CLI. */
  readonly cli: string;
  readonly home: string;
  readonly model: ScriptedModel;
  readonly repo: string;
  /** What a command runs with: this test's storage, model and key, the local sandbox; `extra` wins (undefined unsets). */
  env(extra?: EnvExtra): EnvExtra;
  /** `hangar args…` to its end; `input` goes to its standard input (none: stdin is closed). */
  hangar(args: string[], extra?: EnvExtra, input?: string): Promise<Run>;
  /** A command line as a user pastes it, from a directory that is neither the repository nor Hangar's, with no key. */
  shell(line: string): Promise<Run>;
}

let bundled: Promise<string> | undefined;

/** Builds the CLI once per test process, inside the repository as `npm run build` does, so it finds its sample repository. */
function bundleCli(): Promise<string> {
  bundled ??= (async () => {
    const cli = path.resolve('.cache', 'test-cli', 'cli.js');
    await build({ ...nodeEsmBundle('src/cli/index.ts', cli), logLevel: 'error' });
    // Beside the CLI, as in dist/: the Docker provider ships this bundle into each container.
    await build({ ...toolServerBundle(path.join(path.dirname(cli), 'toolserver.cjs')), logLevel: 'error' });
    return cli;
  })();
  return bundled;
}

/** Registers the hooks of the enclosing `describe` and returns the world its tests use. */
export function useCli(): CliWorld {
  let cli = '';
  let home = '';
  let repo = '';
  let model: ScriptedModel | undefined;

  before(async () => {
    cli = await bundleCli();
  });
  // A fresh model per test: a failing test must not leave replies behind for the next one.
  beforeEach(async () => {
    model = await startScriptedModel();
    home = mkdtempSync(path.join(os.tmpdir(), 'hangar-cli-home-'));
    repo = makeRepo({ 'README.md': '# demo\n', 'src/app.js': 'console.log("hi");\n' });
  });
  afterEach(async () => {
    await model?.close();
    await removeSandboxes(home);
    rmSync(home, { recursive: true, force: true });
    rmSync(repo, { recursive: true, force: true });
  });

  const world: CliWorld = {
    get cli() {
      return cli;
    },
    get home() {
      return home;
    },
    get repo() {
      return repo;
    },
    get model() {
      if (!model) throw new Error('the scripted model starts in beforeEach');
      return model;
    },
    env: (extra = {}) => ({ PATH: process.env.PATH, HOME: home, HANGAR_HOME: home, HANGAR_SANDBOX: 'local', ANTHROPIC_API_KEY: 'test-key', ANTHROPIC_BASE_URL: world.model.url, ...extra }),
    hangar: (args, extra = {}, input) => collect(spawn(process.execPath, [cli, ...args], { env: world.env(extra), stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] }), input),
    shell: (line) => collect(spawn('sh', ['-c', line], { cwd: os.tmpdir(), env: { PATH: process.env.PATH, HOME: home, HANGAR_HOME: home, HANGAR_SANDBOX: 'local' }, stdio: ['ignore', 'pipe', 'pipe'] })),
  };
  return world;
}

/**
 * The sessions a test left keep their Docker volumes (a later run reattaches), and a run on Docker leaves a keeper of a
 * warm container for the next run (shared-pool.ts): all go before the storage does. A keeper is ended first (SIGTERM
 * removes its container; one still making it removes it once made), else it would outlive the storage it serves.
 */
async function removeSandboxes(home: string): Promise<void> {
  const root = path.join(home, 'docker');
  if (!existsSync(root)) return;
  const argv = (pid: string) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    } catch {
      return [];
    }
  };
  const keepers = readdirSync('/proc').filter((pid) => /^\d+$/.test(pid) && argv(pid).includes(root));
  for (const pid of keepers) {
    try {
      process.kill(Number(pid), 'SIGTERM');
    } catch {
      // Gone already.
    }
  }
  for (const until = Date.now() + 60_000; keepers.some((pid) => existsSync(`/proc/${pid}`)) && Date.now() < until; ) await new Promise((r) => setTimeout(r, 100));
  const docker = new DockerSandboxProvider({ storageRoot: home });
  await docker.reap(new Set()).catch(() => undefined);
  await docker.close();
}

function collect(child: ReturnType<typeof spawn>, input?: string): Promise<Run> {
  return new Promise((resolve) => {
    if (input !== undefined) child.stdin?.end(input);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}
