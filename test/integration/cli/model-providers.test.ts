import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { reply, startScriptedOpenAiModel, type ScriptedOpenAiModel } from '../../../src/model/scripted';
import { useCli } from './harness';

// Model providers as a user sets them up: <storage>/model-providers.json naming an OpenAI-compatible server (the
// scripted one, over real HTTP and SSE), `hangar models` listing it, `hangar run --model name/model` running a
// session on it, and each bad setup refused before a session is made, with the reason.

describe('cli: model providers', function () {
  this.timeout(60_000);
  const t = useCli();
  let oai: ScriptedOpenAiModel;
  let html: http.Server;
  let htmlUrl = '';
  let closedUrl = '';

  beforeEach(async () => {
    oai = await startScriptedOpenAiModel({ models: ['qwen3-coder', 'llama3.2'], apiKey: 'sk-local-provider-1' });
    html = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!DOCTYPE html><html><body>Open WebUI</body></html>');
    });
    await new Promise<void>((resolve) => html.listen(0, '127.0.0.1', resolve));
    htmlUrl = `http://127.0.0.1:${(html.address() as AddressInfo).port}`;
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    closedUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/v1`;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
  });
  afterEach(async () => {
    await oai.close();
    await new Promise<void>((resolve) => html.close(() => resolve()));
  });

  const configure = (providers: unknown[]) => writeFileSync(path.join(t.home, 'model-providers.json'), JSON.stringify(providers));
  const withKey = async () => {
    const set = await t.hangar(['set-key', '--model-provider', 'box'], {}, 'sk-local-provider-1\n');
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.stdout, /Stored the key of model provider "box"/);
  };

  it('lists providers and their models, the unreachable and the web page with the reason', async () => {
    configure([
      { name: 'box', kind: 'openai', baseUrl: oai.url },
      { name: 'down', kind: 'openai', baseUrl: closedUrl },
      { name: 'webui', kind: 'openai', baseUrl: htmlUrl },
    ]);
    await withKey();
    const r = await t.hangar(['models']);
    assert.equal(r.code, 1, 'an unreachable provider fails the listing');
    assert.match(r.stdout, /^box {2}OpenAI-compatible, local · http:\/\/127\.0\.0\.1:\d+\/v1$/m);
    assert.match(r.stdout, /^ {2}box\/qwen3-coder +32k window · free$/m);
    assert.match(r.stdout, /^ {2}box\/llama3\.2 /m);
    assert.match(r.stdout, /^down .*\n {2}unreachable: Can't reach http:\/\/127\.0\.0\.1:\d+\/v1 \(ECONNREFUSED\)\. Check that the server runs/m);
    assert.match(r.stdout, /^webui .*\n {2}unreachable: .* with an HTML page \(200\), not the OpenAI-compatible API\. Check the base URL \(it usually ends in \/v1\)/m);
    assert.match(r.stdout, /^anthropic {2}built-in, Messages API/m);
    const json = await t.hangar(['--json', 'models']);
    const lines = json.stdout.trim().split('\n').map((l) => JSON.parse(l) as { name: string; problem: string | null; models: { id: string; contextWindow: number; estimate: boolean }[] });
    const box = lines.find((l) => l.name === 'box');
    assert.equal(box?.problem, null);
    assert.deepEqual(box?.models.map((m) => [m.id, m.estimate]), [['box/qwen3-coder', false], ['box/llama3.2', false]]);
  });

  it('runs a session on the provider with --model name/model, its key from the vault, at zero cost', async () => {
    configure([{ name: 'box', kind: 'openai', baseUrl: oai.url }]);
    await withKey();
    oai.push(reply.tool('edit', { file_path: 'src/app.js', old_string: '"hi"', new_string: '"hello"' }), reply.text('Changed the greeting on a local model.'));
    // No Anthropic key at all: the session never asks the built-in provider.
    const r = await t.hangar(['run', '--repo', t.repo, '--model', 'box/qwen3-coder', 'change the greeting'], { ANTHROPIC_API_KEY: undefined });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, / · box\/qwen3-coder · /);
    assert.match(r.stdout, /Changed the greeting on a local model\./);
    assert.match(r.stdout, /\+console\.log\("hello"\);/);
    assert.match(r.stdout, /cost \$0\.00 \(list price\)/);
    assert.equal(oai.requests.length, 2);
    assert.equal(oai.requests[0]?.chat.model, 'qwen3-coder', "the provider gets its own id, without Hangar's prefix");
    assert.equal(oai.requests[0]?.headers.authorization, 'Bearer sk-local-provider-1');
    assert.ok(oai.requests[0]?.chat.tools?.some((tool) => tool.function.name === 'edit'), 'the same built-in tools');
    assert.equal(t.model.requests.length, 0);
  });

  it('refuses an unknown provider, an unlisted model and an unreachable provider before a session is made', async () => {
    configure([
      { name: 'box', kind: 'openai', baseUrl: oai.url },
      { name: 'down', kind: 'openai', baseUrl: closedUrl },
    ]);
    await withKey();
    const unknown = await t.hangar(['run', '--repo', t.repo, '--model', 'lmstudio/qwen', 'hi']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /names the provider "lmstudio", which is not configured \(providers: anthropic, box, down\)/);
    const missing = await t.hangar(['run', '--repo', t.repo, '--model', 'box/qwen9', 'hi']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /Can't start the session: box has no model "qwen9" \(it lists box\/qwen3-coder, box\/llama3\.2\)/);
    const down = await t.hangar(['run', '--repo', t.repo, '--model', 'down/qwen3-coder', 'hi']);
    assert.equal(down.code, 2);
    assert.match(down.stderr, /Can't start the session: model down\/qwen3-coder cannot be used: Can't reach .*\(ECONNREFUSED\)/);
    assert.equal(oai.requests.length, 0);
    const sessions = await t.hangar(['sessions']);
    assert.match(sessions.stdout, /No sessions yet/);
  });

  it("takes an Ollama model's window and capabilities from /api/show, and refuses a model without tools before the session", async () => {
    const ollama = await startScriptedOpenAiModel({
      models: ['qwen3:8b', 'llama3.2:latest'],
      ollama: { 'qwen3:8b': { capabilities: ['completion', 'tools', 'thinking'], contextLength: 40_960, numCtx: 16_384 }, 'llama3.2': { capabilities: ['completion'], contextLength: 131_072, architecture: 'llama' } },
    });
    try {
      configure([{ name: 'ollama', kind: 'openai', baseUrl: ollama.url }]);
      const r = await t.hangar(['models']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^ {2}ollama\/qwen3:8b +16k window · tools · thinking · free$/m);
      assert.match(r.stdout, /^ {2}ollama\/llama3\.2:latest +128k window · no tools · free$/m);
      const run = await t.hangar(['run', '--repo', t.repo, '--model', 'ollama/llama3.2:latest', 'hi']);
      assert.equal(run.code, 2);
      assert.match(run.stderr, /model ollama\/llama3\.2:latest does not support tool calls, and this agent has tools/);
      assert.equal(ollama.requests.length, 0, 'refused before any model request');
    } finally {
      await ollama.close();
    }
  });

  it('refuses a key for a provider that is not configured, and a provider file that is wrong', async () => {
    configure([{ name: 'box', kind: 'openai', baseUrl: oai.url }]);
    const key = await t.hangar(['set-key', '--model-provider', 'nope'], {}, 'sk-something-long\n');
    assert.equal(key.code, 2);
    assert.match(key.stderr, /no model provider named "nope" is configured \(configured: box\)/);
    configure([{ name: 'box', kind: 'openai', baseUrl: 'localhost:11434', apiKey: 'sk-plain' }]);
    const bad = await t.hangar(['models']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /model-providers\.json is not a valid list of model providers/);
    assert.match(bad.stderr, /baseUrl must be an http/);
  });
});
