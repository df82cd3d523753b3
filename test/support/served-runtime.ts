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

/**
 * For a suite whose tests each serve one test runtime: `serve` starts it (and closes the previous test's), and every
 * test's runtime, server and client are closed after it. `current` is the one being served.
 */
export function useServedRuntime(opts: Omit<ApiServerOptions, 'runtime'> = {}): { serve(t: TestRuntime): Promise<RemoteRuntimeClient>; readonly current: ServedRuntime } {
  let served: ServedRuntime | undefined;
  afterEach(async () => {
    await served?.close();
    served = undefined;
  });
  return {
    async serve(t) {
      served = await serveOverHttp(t, opts);
      return served.client;
    },
    get current() {
      if (!served) throw new Error('no runtime is served yet: call serve() first');
      return served;
    },
  };
}
