import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';

// server-everything's streamable HTTP (or SSE) mode as a process a test can kill and restart. Free of import.meta, so
// the extension tests' CommonJS bundle can use it too (they pass the server's path from the extension's folder).

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

/** server-everything (its `dist/index.js` at `bin`) on a free local port, in streamable HTTP mode or in the older SSE mode. */
export async function startEverythingHttpAt(bin: string, mode: 'streamableHttp' | 'sse' = 'streamableHttp'): Promise<HttpServerProcess> {
  const port = await freePort();
  let child: ChildProcess | null = null;
  const launch = async () => {
    const proc = spawn(process.execPath, [bin, mode], { env: { PATH: process.env.PATH ?? '', PORT: String(port) }, stdio: ['ignore', 'ignore', 'pipe'] });
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
