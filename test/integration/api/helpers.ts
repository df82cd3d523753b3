import { request } from 'node:http';
import Anthropic from '@anthropic-ai/sdk';
import { startApiServer, type ApiServer, type ApiServerOptions } from '../../../src/api';
import { DEFAULT_MODEL } from '../../../src/model/types';
import { DockerSandboxProvider } from '../../../src/sandbox/docker';
import type { AgentCreateParams } from '../../../src/wire';
import { makeTestRuntime, type TestRuntime, type TestRuntimeOptions } from '../../support/runtime';
import { requireDocker } from '../docker/helpers';

// A real runtime (temp storage, local sandbox, scripted model) behind the real HTTP server, driven by the real SDK.

export type StreamEvent = Anthropic.Beta.Sessions.BetaManagedAgentsStreamSessionEvents;

export interface SeenRequest {
  method: string;
  path: string;
  beta: string | undefined;
}

export interface ApiFixture {
  t: TestRuntime;
  server: ApiServer;
  client: Anthropic;
  /** Every request that reached routing, in order. */
  requests: SeenRequest[];
  /** An agent created through the API, with the built-in toolset and any extra params. */
  agent(params?: Partial<AgentCreateParams>): Promise<Anthropic.Beta.BetaManagedAgentsAgent>;
  /** A session on the fixture's repository and default environment. */
  session(agentId: string): Promise<Anthropic.Beta.Sessions.BetaManagedAgentsSession>;
  close(): Promise<void>;
}

export async function startApi(opts: TestRuntimeOptions & { server?: Partial<ApiServerOptions> } = {}): Promise<ApiFixture> {
  const t = await makeTestRuntime(opts);
  const requests: SeenRequest[] = [];
  const server = await startApiServer({
    runtime: t.runtime,
    heartbeatMs: 200,
    onRequest: (r) => requests.push({ method: r.method, path: r.path, beta: r.headers['anthropic-beta'] as string | undefined }),
    ...opts.server,
  });
  const client = new Anthropic({ apiKey: server.token, baseURL: server.url });
  return {
    t,
    server,
    client,
    requests,
    agent: (params = {}) => client.beta.agents.create({ name: 'api-tester', model: DEFAULT_MODEL, tools: [{ type: 'agent_toolset_20260401' }], ...params } as Anthropic.Beta.AgentCreateParams),
    session: (agentId) =>
      client.beta.sessions.create({ agent: agentId, environment_id: t.envId, resources: [{ type: 'local_repository', path: t.repo }] } as unknown as Anthropic.Beta.Sessions.SessionCreateParams),
    async close() {
      await server.close();
      await t.close();
    },
  };
}

/** Reads a stream until `done` says so (then breaks, which aborts the request) or the time runs out. */
export async function collect(stream: AsyncIterable<StreamEvent> & { controller: AbortController }, done: (seen: StreamEvent[]) => boolean, timeoutMs = 15_000): Promise<StreamEvent[]> {
  const seen: StreamEvent[] = [];
  const timer = setTimeout(() => stream.controller.abort(), timeoutMs);
  try {
    for await (const e of stream) {
      seen.push(e);
      if (done(seen)) return seen;
    }
  } finally {
    clearTimeout(timer);
  }
  throw new Error(`stream ended before the condition held; saw:\n${seen.map((e) => e.type).join('\n')}`);
}

export const typesOf = (events: readonly { type: string }[]) => events.map((e) => e.type);
export const idleWith = (reason: string) => (seen: readonly StreamEvent[]) => seen.some((e) => e.type === 'session.status_idle' && e.stop_reason.type === reason);

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json(): { type: string; error: { type: string; message: string; details?: { error_code: string } }; request_id: string };
}

/** A plain HTTP request with full control of every header (Host and Origin included) and the body bytes. */
export function raw(server: ApiServer, method: string, path: string, opts: { headers?: Record<string, string>; body?: string | Buffer; auth?: boolean } = {}): Promise<RawResponse> {
  const headers: Record<string, string> = { host: `127.0.0.1:${server.port}`, ...(opts.auth === false ? {} : { 'x-api-key': server.token }), ...opts.headers };
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, method, path, headers, setHost: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) });
      });
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * `describe(title (local))` and `describe(title (docker))`, each with one API fixture on that provider for its tests
 * (`fixture()` inside a test; Docker tests fail with the reason when there is no engine).
 */
export function onEachProvider(title: string, body: (fixture: () => ApiFixture, kind: 'local' | 'docker') => void): void {
  for (const kind of ['local', 'docker'] as const) {
    describe(`${title} (${kind})`, function () {
      this.timeout(180_000);
      let f: ApiFixture | undefined;
      before(async () => {
        if (kind === 'docker') await requireDocker();
        f = await startApi(kind === 'docker' ? { provider: (storage) => new DockerSandboxProvider({ storageRoot: storage }) } : {});
      });
      after(async () => f?.close());
      body(() => {
        if (!f) throw new Error(`the ${kind} fixture did not start`);
        return f;
      }, kind);
    });
  }
}
