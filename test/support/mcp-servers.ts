import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import type { McpServer } from '../../src/wire';

// The real MCP servers from npm the MCP tests run against, launched the way an agent definition names them, plus
// server-everything's streamable HTTP mode as a process the test can kill and restart.

const require = createRequire(import.meta.url);
const binOf = (pkg: string) => path.join(path.dirname(require.resolve(`${pkg}/package.json`)), 'dist', 'index.js');

export const EVERYTHING_BIN = binOf('@modelcontextprotocol/server-everything');
export const FILESYSTEM_BIN = binOf('@modelcontextprotocol/server-filesystem');
export const FIXTURE_SERVER = path.resolve(import.meta.dirname, '../fixtures/mcp/fixture-server.mjs');

export function stdioEverything(name = 'everything', env: Record<string, string> = {}): McpServer {
  return { type: 'stdio', name, command: process.execPath, args: [EVERYTHING_BIN, 'stdio'], env };
}

export function stdioFilesystem(name: string, allowedDir: string): McpServer {
  return { type: 'stdio', name, command: process.execPath, args: [FILESYSTEM_BIN, allowedDir], env: {} };
}

/** `late`: the server announces list_changed while the client's first tools/list runs (see the fixture). */
export function stdioFixture(name = 'fixture', mode?: 'late'): McpServer {
  return { type: 'stdio', name, command: process.execPath, args: [FIXTURE_SERVER, ...(mode ? [mode] : [])], env: {} };
}

export async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

export interface HttpServerProcess {
  /** The MCP endpoint: http://127.0.0.1:PORT/mcp, or /sse in SSE mode. */
  url: string;
  port: number;
  /** SIGKILLs the server (a crash). */
  kill(): Promise<void>;
  /** Starts it again on the same port. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** server-everything on a free local port, in streamable HTTP mode or in the older SSE mode. */
export async function startEverythingHttp(mode: 'streamableHttp' | 'sse' = 'streamableHttp'): Promise<HttpServerProcess> {
  const port = await freePort();
  let child: ChildProcess | null = null;
  const launch = async () => {
    const proc = spawn(process.execPath, [EVERYTHING_BIN, mode], { env: { PATH: process.env.PATH ?? '', PORT: String(port) }, stdio: ['ignore', 'ignore', 'pipe'] });
    child = proc;
    await new Promise<void>((resolve, reject) => {
      let said = '';
      proc.stderr?.on('data', (chunk: Buffer) => {
        said += chunk.toString();
        if (/(listening|running) on port/i.test(said)) resolve();
      });
      proc.once('exit', (code) => reject(new Error(`server-everything exited with ${code}: ${said}`)));
    });
  };
  const kill = async () => {
    const proc = child;
    child = null;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill('SIGKILL');
    await exited;
  };
  await launch();
  return { url: `http://127.0.0.1:${port}/${mode === 'sse' ? 'sse' : 'mcp'}`, port, kill, restart: launch, stop: kill };
}
