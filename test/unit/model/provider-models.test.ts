import { strict as assert } from 'node:assert';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fetchProviderModels } from '../../../src/model/provider-models';
import { startScriptedOpenAiModel } from '../../../src/model/scripted';

// The models endpoint over real HTTP: what servers say about their models, and each way a base URL can be wrong.

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

async function serve(handler: Handler): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

const json = (res: http.ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

describe('provider models endpoint', () => {
  it('reads ids, windows, tool support and prices from the fields servers add', async () => {
    let seen: http.IncomingHttpHeaders = {};
    const s = await serve((req, res) => {
      // Not Ollama: its root has no /api/version, so the list is what /v1/models said.
      if (req.url === '/api/version') return json(res, 404, { error: 'not found' });
      seen = req.headers;
      assert.equal(req.url, '/v1/models');
      json(res, 200, {
        object: 'list',
        data: [
          { id: 'qwen3-coder:latest', object: 'model' },
          { id: 'served', max_model_len: 32768 },
          { id: 'router/model', context_length: 200000, supported_parameters: ['temperature', 'tools'], pricing: { prompt: '0.000003', completion: '0.000015' }, top_provider: { max_completion_tokens: 8192 } },
          { id: 'chat-only', supported_parameters: ['temperature'] },
          { object: 'model' },
        ],
      });
    });
    try {
      const answer = await fetchProviderModels({ kind: 'openai', baseUrl: `${s.url}/v1/`, apiKey: 'sk-test-1234' });
      assert.ok(answer.ok);
      assert.equal(seen.authorization, 'Bearer sk-test-1234');
      assert.deepEqual(answer.models[0], { id: 'qwen3-coder:latest' });
      assert.deepEqual(answer.models[1], { id: 'served', contextWindow: 32768 });
      const routed = answer.models[2]!;
      assert.equal(routed.contextWindow, 200000);
      assert.equal(routed.maxOutputTokens, 8192);
      assert.equal(routed.tools, true);
      assert.ok(Math.abs(routed.prices!.input - 3) < 1e-9 && Math.abs(routed.prices!.output - 15) < 1e-9);
      assert.equal(answer.models[3]!.tools, false);
      assert.equal(answer.models.length, 4, 'an entry without an id is left out');
    } finally {
      await s.close();
    }
  });

  it("fills Ollama's models from /api/show: the window it runs them with, else the trained one, and capabilities", async () => {
    const ollama = await startScriptedOpenAiModel({
      models: ['qwen3:8b', 'llama3.2:latest', 'gemma3:4b', 'vanished:1b'],
      ollama: {
        'qwen3:8b': { capabilities: ['completion', 'tools', 'thinking'], contextLength: 40_960, numCtx: 16_384 },
        'llama3.2': { capabilities: ['completion'], contextLength: 131_072, architecture: 'llama' },
        'gemma3:4b': { capabilities: ['completion', 'vision'], contextLength: 131_072, architecture: 'gemma3' },
      },
    });
    try {
      const answer = await fetchProviderModels({ kind: 'openai', baseUrl: ollama.url });
      assert.ok(answer.ok);
      assert.deepEqual(answer.models, [
        { id: 'qwen3:8b', contextWindow: 16_384, tools: true, thinking: true, vision: false },
        { id: 'llama3.2:latest', contextWindow: 131_072, tools: false, thinking: false, vision: false },
        { id: 'gemma3:4b', contextWindow: 131_072, tools: false, thinking: false, vision: true },
        { id: 'vanished:1b' },
      ]);
    } finally {
      await ollama.close();
    }
  });

  it('lists the Messages API at <base>/v1/models with x-api-key', async () => {
    let seen: http.IncomingHttpHeaders = {};
    const s = await serve((req, res) => {
      seen = req.headers;
      assert.match(req.url ?? '', /^\/v1\/models/);
      json(res, 200, { data: [{ type: 'model', id: 'claude-sonnet-5-5' }] });
    });
    try {
      const answer = await fetchProviderModels({ kind: 'anthropic', baseUrl: s.url, apiKey: 'sk-ant-1234' });
      assert.deepEqual(answer, { ok: true, models: [{ id: 'claude-sonnet-5-5' }] });
      assert.equal(seen['x-api-key'], 'sk-ant-1234');
      assert.equal(seen.authorization, undefined);
    } finally {
      await s.close();
    }
  });

  it('says why: not running, HTML page, no endpoint, refused key, not a list, silent', async () => {
    const closed = await serve(() => undefined);
    await closed.close();
    const down = await fetchProviderModels({ kind: 'openai', baseUrl: `${closed.url}/v1` });
    assert.ok(!down.ok);
    assert.match(down.reason, /Can't reach http:\/\/127\.0\.0\.1:\d+\/v1 \(ECONNREFUSED\)\. Check that the server runs/);

    const s = await serve((req, res) => {
      if (req.url === '/html/models') {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<!doctype html><html><body>Web UI</body></html>');
      } else if (req.url === '/key/models') json(res, 401, { error: { message: 'Incorrect API key provided' } });
      else if (req.url === '/list/models') json(res, 200, { models: [] });
      else if (req.url === '/slow/models') setTimeout(() => json(res, 200, { data: [] }), 2_000);
      else json(res, 404, { error: 'not found' });
    });
    try {
      const html = await fetchProviderModels({ kind: 'openai', baseUrl: `${s.url}/html` });
      assert.ok(!html.ok);
      assert.match(html.reason, /answered .*\/html\/models with an HTML page \(200\), not the OpenAI-compatible API\. Check the base URL \(it usually ends in \/v1\)/);
      const key = await fetchProviderModels({ kind: 'openai', baseUrl: `${s.url}/key` });
      assert.ok(!key.ok);
      assert.match(key.reason, /refused the API key \(401: Incorrect API key provided\)/);
      const none = await fetchProviderModels({ kind: 'openai', baseUrl: `${s.url}/none` });
      assert.ok(!none.ok && none.noEndpoint);
      assert.match(none.reason, /has no models endpoint \(404/);
      const list = await fetchProviderModels({ kind: 'openai', baseUrl: `${s.url}/list` });
      assert.ok(!list.ok);
      assert.match(list.reason, /JSON that is not a model list/);
      const slow = await fetchProviderModels({ kind: 'openai', baseUrl: `${s.url}/slow`, timeoutMs: 200 });
      assert.ok(!slow.ok);
      assert.match(slow.reason, /did not answer within 0.2 s\./);
    } finally {
      await s.close();
    }
  });
});
