import { startApiServer, type ApiServer, type ApiServerOptions } from '../../src/api';
import { RemoteRuntimeClient } from '../../src/extension/connection/remote-client';
import type { TestRuntime } from './runtime';

// A test runtime as a detached one: the real API server on it and the extension's RemoteRuntimeClient (the real SDK
// inside) pointed at it, closed together.

export interface ServedRuntime {
  server: ApiServer;
  client: RemoteRuntimeClient;
  /** Closes the client, the server and the runtime. */
  close(): Promise<void>;
}

export async function serveOverHttp(t: TestRuntime, opts: Omit<ApiServerOptions, 'runtime'> = {}): Promise<ServedRuntime> {
  const server = await startApiServer({ port: 0, ...opts, runtime: t.runtime });
  const client = new RemoteRuntimeClient({ url: server.url, token: server.token });
  return {
    server,
    client,
    async close() {
      await client.close();
      await server.close();
      await t.close();
    },
  };
}
