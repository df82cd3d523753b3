import { createRequire } from 'node:module';
import path from 'node:path';
import type { McpServer } from '../../src/wire';
import { startEverythingHttpAt, type HttpServerProcess } from './mcp-http-server';

export { freePort, type HttpServerProcess } from './mcp-http-server';

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

/** server-everything on a free local port, in streamable HTTP mode or in the older SSE mode. */
export function startEverythingHttp(mode: 'streamableHttp' | 'sse' = 'streamableHttp'): Promise<HttpServerProcess> {
  return startEverythingHttpAt(EVERYTHING_BIN, mode);
}
