import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// A `hangar serve` child process (a detached runtime) on a Hangar home of the test's: the scripted model behind it, the
// local sandbox, no warm pool. Free of vscode and of import.meta, so the extension tests' CommonJS bundle and the UI
// tests' driver both start it the same way.

export interface Served {
  child: ChildProcess;
  url: string;
  /** The runtime's API token (its api-token file, as the user would copy it). */
  token: string;
  exited: Promise<unknown>;
}

/**
 * A copy of the built CLI (dist/, without source maps) under `into`, beside links to the rest of the checkout, for a
 * serve that outlives the test's build: a build made meanwhile in the same checkout replaces dist/'s chunks, and a
 * chunk the running serve loads later would be gone (or one the serve's start imports, if the build lands between the
 * test's build and the serve). Returns the copy's entry (dist/cli.mjs).
 */
export function snapshotCli(root: string, into: string): string {
  const entry = path.join(into, 'dist', 'cli.mjs');
  // A serve started again on the same snapshot (a restart in the test) runs the same build.
  if (existsSync(entry)) return entry;
  mkdirSync(path.join(into, 'dist'), { recursive: true });
  for (const name of readdirSync(root)) if (name !== 'dist') symlinkSync(path.join(root, name), path.join(into, name));
  for (const file of readdirSync(path.join(root, 'dist'))) if (!file.endsWith('.map')) copyFileSync(path.join(root, 'dist', file), path.join(into, 'dist', file));
  return entry;
}

export interface ServeOptions {
  port?: number;
  /** Runs the serve's command line (node, the CLI, its arguments) through another command (a mount namespace, say). */
  wrap?: (argv: string[]) => { command: string; args: string[] };
}

/** What `hangar --json serve` announces on its first stdout line. */
export interface ServeAnnouncement {
  url: string;
  token_file: string;
  fingerprint256: string | null;
}

export interface StartedServe {
  child: ChildProcess;
  exited: Promise<unknown>;
  announced: ServeAnnouncement;
}

/** Spawns a serve's command line (through `wrap` if given) and waits for its announcement; its stderr if it exits first. */
export function startServe(argv: string[], env: NodeJS.ProcessEnv, wrap?: ServeOptions['wrap']): Promise<StartedServe> {
  const { command, args } = wrap?.(argv) ?? { command: argv[0]!, args: argv.slice(1) };
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  let out = '';
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  return new Promise((resolve, reject) => {
    const onData = (c: Buffer) => {
      out += c.toString();
      if (!out.includes('\n')) return;
      child.stdout!.off('data', onData);
      resolve({ child, exited, announced: JSON.parse(out.slice(0, out.indexOf('\n'))) as ServeAnnouncement });
    };
    child.stdout!.on('data', onData);
    void exited.then((code) => reject(new Error(`hangar serve exited ${String(code)}: ${err}`)));
  });
}

/**
 * Runs a serve's command line in a mount namespace of its own where `dir` is an empty directory: what a runtime on
 * another machine sees at that path.
 */
export function hiding(dir: string): NonNullable<ServeOptions['wrap']> {
  const empty = mkdtempSync(path.join(os.tmpdir(), 'hangar-empty-'));
  return (argv) => ({ command: 'unshare', args: ['-m', '--propagation', 'private', 'sh', '-c', `mount --bind '${empty}' '${dir}' && exec ${argv.map((a) => `'${a}'`).join(' ')}`] });
}

export async function serveHangar(cli: string, home: string, modelUrl: string, opts: ServeOptions = {}): Promise<Served> {
  mkdirSync(home, { recursive: true });
  const env = { PATH: process.env.PATH, HOME: home, HANGAR_HOME: home, HANGAR_SANDBOX: 'local', ANTHROPIC_API_KEY: 'sk-ant-test-detached', ANTHROPIC_BASE_URL: modelUrl };
  const argv = [process.execPath, cli, '--json', 'serve', '--port', String(opts.port ?? 0), '--warm-pool', '0'];
  const { child, exited, announced } = await startServe(argv, env, opts.wrap);
  return { child, exited, url: announced.url, token: readFileSync(announced.token_file, 'utf8').trim() };
}

/**
 * Stops a serve and waits for it to exit, so a test's clean-up never removes a home under a runtime still closing;
 * one that has not exited 20 s after SIGTERM is killed (its close is bounded at 15 s: that would be a hang to report).
 */
export async function stopServe(s: Pick<Served, 'child' | 'exited'> | undefined): Promise<void> {
  if (!s || s.child.exitCode !== null || s.child.signalCode !== null) return;
  s.child.kill('SIGTERM');
  const timer = setTimeout(() => s.child.kill('SIGKILL'), 20_000);
  await s.exited;
  clearTimeout(timer);
}
