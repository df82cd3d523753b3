import { strict as assert } from 'node:assert';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ModelProviders } from '../../../src/model/registry';
import type { ModelClient, ModelRequest } from '../../../src/model/types';
import { ModelCatalog, type ModelProviderConfig } from '../../../src/wire';

// The registry routes each request to its provider with the provider's own id, and judges a session's model before it
// starts: its provider reachable and listing it, tools where the agent has some.

function recorder(name: string, seen: string[]): ModelClient {
  return {
    serverWebSearch: name === 'builtin',
    // eslint-disable-next-line require-yield
    async *stream(request: ModelRequest) {
      seen.push(`${name}:${request.model}`);
    },
  };
}

async function drain(client: ModelClient, model: string): Promise<void> {
  const request = { model, max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] } as ModelRequest;
  for await (const _ of client.stream(request, new AbortController().signal));
}

describe('model provider registry', () => {
  let server: http.Server;
  let base: string;
  let listed: unknown[];
  let closedUrl: string;
  before(async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    closedUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/v1`;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    server = http.createServer((req, res) => {
      if (req.url === '/v1/models') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ object: 'list', data: listed }));
      } else {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end('{"error":"not found"}');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  function registry(configs: ModelProviderConfig[], seen: string[] = [], catalog = new ModelCatalog({}, { configs })): { reg: ModelProviders; catalog: ModelCatalog; keys: string[] } {
    const keys: string[] = [];
    const reg = new ModelProviders({
      configs,
      builtin: recorder('builtin', seen),
      builtinModels: () => catalog.ids(),
      apiKey: (name) => {
        keys.push(name);
        return Promise.resolve(name === 'local' ? undefined : `key-of-${name}`);
      },
      createClient: (config, apiKey) => {
        void apiKey();
        return recorder(config.name, seen);
      },
      onDiscovered: (models) => catalog.discover(models),
    });
    return { reg, catalog, keys };
  }

  it('routes by provider prefix and sends the provider its own id', async () => {
    const seen: string[] = [];
    const { reg, keys } = registry([{ name: 'local', kind: 'openai', baseUrl: `${base}/v1` }], seen);
    const router = reg.router();
    await drain(router, 'claude-sonnet-5-5');
    await drain(router, 'anthropic/claude-haiku-4-5');
    await drain(router, 'local/qwen3-coder:30b');
    assert.deepEqual(seen, ['builtin:claude-sonnet-5-5', 'builtin:claude-haiku-4-5', 'local:qwen3-coder:30b']);
    assert.deepEqual(keys, ['local'], "the provider's key is looked up through the vault callback by its name");
    assert.equal(reg.serverWebSearch('claude-sonnet-5-5'), true);
    assert.equal(reg.serverWebSearch('local/qwen3-coder'), false);
  });

  it('judges a session model: unknown provider, unlisted model, no tools, unreachable', async () => {
    listed = [{ id: 'qwen3-coder:latest' }, { id: 'chat-only', supported_parameters: ['temperature'] }];
    const { reg, catalog } = registry([
      { name: 'local', kind: 'openai', baseUrl: `${base}/v1` },
      { name: 'down', kind: 'openai', baseUrl: closedUrl },
      { name: 'fixed', kind: 'openai', baseUrl: `${base}/nolist`, models: ['only-this'] },
      { name: 'open', kind: 'openai', baseUrl: `${base}/nolist` },
    ]);
    const tools = (id: string) => catalog.lookup(id).tools;
    assert.match((await reg.sessionProblem('lmstudio/x', true, tools)) ?? '', /provider "lmstudio", which is not configured/);
    assert.equal(await reg.sessionProblem('local/qwen3-coder', true, tools), null, 'Ollama lists qwen3-coder:latest for qwen3-coder');
    assert.match((await reg.sessionProblem('local/llama9', true, tools)) ?? '', /local has no model "llama9" \(it lists local\/qwen3-coder:latest, local\/chat-only\)/);
    assert.match((await reg.sessionProblem('local/chat-only', true, tools)) ?? '', /does not support tool calls, and this agent has tools/);
    assert.equal(await reg.sessionProblem('local/chat-only', false, tools), null, 'an agent without tools may use it');
    assert.match((await reg.sessionProblem('down/any', true, tools)) ?? '', /model down\/any cannot be used: Can't reach http:\/\/127\.0\.0\.1:\d+\/v1 \(ECONNREFUSED\)/);
    assert.equal(await reg.sessionProblem('fixed/only-this', true, tools), null, 'a configured list stands in for a missing endpoint');
    assert.match((await reg.sessionProblem('fixed/other', true, tools)) ?? '', /fixed has no model "other" \(it lists fixed\/only-this\)/);
    assert.equal(await reg.sessionProblem('open/anything', true, tools), null, 'without a list, the provider answers for its models itself');
    assert.equal(await reg.sessionProblem('claude-sonnet-5-5', true, tools), null);
  });

  it('lists every provider, the unreachable with the reason, and keeps a list a minute', async () => {
    listed = [{ id: 'a' }];
    const { reg } = registry([
      { name: 'local', kind: 'openai', baseUrl: `${base}/v1` },
      { name: 'down', kind: 'openai', baseUrl: closedUrl },
    ]);
    const first = await reg.models('local');
    assert.deepEqual(first.models.map((m) => m.id), ['local/a']);
    assert.equal(first.local, true);
    listed = [{ id: 'a' }, { id: 'b' }];
    assert.equal((await reg.models('local')).models.length, 1, 'kept');
    assert.equal((await reg.models('local', true)).models.length, 2, 'fresh');
    const down = await reg.models('down');
    assert.match(down.problem ?? '', /ECONNREFUSED/);
    assert.deepEqual(reg.providers().map((p) => [p.name, p.builtin]), [['anthropic', true], ['local', false], ['down', false]]);
    const builtin = await reg.models('anthropic');
    assert.ok(builtin.models.some((m) => m.id === 'claude-sonnet-5-5'), "the built-in provider offers the catalogue's models when it cannot list them");
  });
});
