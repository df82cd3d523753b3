import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { consumeStream, type CompletedBlock } from '../../../src/harness/stream';
import { createOpenAiCompatibleClient, type OpenAiCompatibleOptions } from '../../../src/model/openai';
import { reply, startScriptedOpenAiModel, type Reply, type ScriptedOpenAiModel, type ScriptedOpenAiModelOptions } from '../../../src/model/scripted';
import { ModelError, type ModelRequest, type ModelStreamEvent } from '../../../src/model/types';
import type { ModelUsage } from '../../../src/wire';

// The OpenAI-compatible client against the scripted Chat Completions server over real HTTP and SSE: what the
// provider receives, what the harness's stream reader makes of the reply, and how each failure is classified.

let server: ScriptedOpenAiModel | undefined;

async function start(script: Reply[], opts: Omit<ScriptedOpenAiModelOptions, 'script'> = {}, client: Partial<OpenAiCompatibleOptions> = {}) {
  server = await startScriptedOpenAiModel({ script, ...opts });
  return { s: server, model: createOpenAiCompatibleClient({ baseUrl: server.url, ...client }) };
}

const BASH_SCHEMA = { type: 'object' as const, properties: { command: { type: 'string' } }, required: ['command'] };
const TOOLS: ModelRequest['tools'] = [{ name: 'bash', description: 'Run a command', input_schema: BASH_SCHEMA, cache_control: { type: 'ephemeral' } }];

const request = (extra: Partial<ModelRequest> = {}): ModelRequest => ({
  model: 'qwen3-coder',
  max_tokens: 2048,
  system: [{ type: 'text', text: 'You are a coding agent.', cache_control: { type: 'ephemeral' } }],
  messages: [{ role: 'user', content: [{ type: 'text', text: 'List the files.' }] }],
  tools: TOOLS,
  thinking: { type: 'adaptive' },
  ...extra,
});

interface Run {
  blocks: CompletedBlock[];
  usage: ModelUsage;
  stopReason: string | null;
  deltas: string[];
}

async function run(events: AsyncIterable<ModelStreamEvent>): Promise<Run> {
  const blocks: CompletedBlock[] = [];
  const deltas: string[] = [];
  const usage: ModelUsage = { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
  const out = await consumeStream(events, { started: () => 'preview', delta: (_id, t) => void deltas.push(t), completed: async (b) => void blocks.push(b) }, usage);
  return { blocks, usage, stopReason: out.stopReason, deltas };
}

async function failure(events: AsyncIterable<ModelStreamEvent>): Promise<ModelError> {
  try {
    await run(events);
  } catch (e) {
    assert.ok(e instanceof ModelError, `expected a ModelError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected the stream to fail');
}

const signal = () => new AbortController().signal;

describe('OpenAI-compatible client (scripted Chat Completions server, real openai client)', () => {
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('streams text into a text block with live deltas, end_turn and the usage', async () => {
    const text = 'Here are the files: README.md and src/app.js — nothing else 😀.';
    const { model } = await start([reply.text(text, { usage: { input_tokens: 900, output_tokens: 17, cache_read_input_tokens: 1152 } })]);
    const r = await run(model.stream(request(), signal()));
    assert.deepEqual(r.blocks, [{ type: 'text', text, previewId: 'preview' }]);
    assert.ok(r.deltas.length > 1, 'the text arrived in several deltas');
    assert.equal(r.deltas.join(''), text);
    assert.equal(r.stopReason, 'end_turn');
    assert.deepEqual(r.usage, { input_tokens: 900, output_tokens: 17, cache_creation_input_tokens: 0, cache_read_input_tokens: 1152 });
  });

  it('sends the system prompt, tools and output limit in Chat Completions form, without thinking or cache breakpoints', async () => {
    const { s, model } = await start([reply.text('ok')]);
    await run(model.stream(request({ tool_choice: { type: 'auto', disable_parallel_tool_use: true }, stop_sequences: ['END'] }), signal()));
    const chat = s.requests[0]!.chat;
    assert.equal(chat.model, 'qwen3-coder');
    assert.deepEqual(chat.messages, [
      { role: 'system', content: 'You are a coding agent.' },
      { role: 'user', content: 'List the files.' },
    ]);
    assert.deepEqual(chat.tools, [{ type: 'function', function: { name: 'bash', description: 'Run a command', parameters: BASH_SCHEMA } }]);
    assert.equal(chat.max_tokens, 2048);
    assert.equal(chat.tool_choice, 'auto');
    assert.equal(chat.parallel_tool_calls, false);
    assert.deepEqual(chat.stop, ['END']);
    assert.equal(chat.stream, true);
    assert.deepEqual(chat.stream_options, { include_usage: true });
    assert.doesNotMatch(JSON.stringify(chat), /thinking|cache_control|ephemeral/);
    assert.equal(s.requests[0]!.headers.authorization, undefined, 'no key, no Authorization header');
  });

  it('replays tool calls as assistant tool_calls and tool results as tool messages right after them', async () => {
    const { s, model } = await start([reply.text('done')]);
    const png = Buffer.from('fake-png').toString('base64');
    await run(
      model.stream(
        request({
          messages: [
            { role: 'user', content: 'Look at the screenshot and list files.' },
            {
              role: 'assistant',
              content: [
                { type: 'thinking', thinking: 'plan', signature: 'sig' },
                { type: 'text', text: 'Listing.' },
                { type: 'tool_use', id: 'toolu_1', name: 'bash', input: { command: 'ls' } },
                { type: 'tool_use', id: 'toolu_2', name: 'read', input: { file_path: 'shot.png' } },
              ],
            },
            {
              role: 'user',
              content: [
                { type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: 'README.md' }] },
                { type: 'tool_result', tool_use_id: 'toolu_2', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: png } }], is_error: false },
                { type: 'text', text: 'Also check src.', cache_control: { type: 'ephemeral' } },
              ],
            },
          ],
        }),
        signal(),
      ),
    );
    const messages = s.requests[0]!.chat.messages;
    assert.deepEqual(messages.slice(1), [
      { role: 'user', content: 'Look at the screenshot and list files.' },
      {
        role: 'assistant',
        content: 'Listing.',
        tool_calls: [
          { id: 'toolu_1', type: 'function', function: { name: 'bash', arguments: '{"command":"ls"}' } },
          { id: 'toolu_2', type: 'function', function: { name: 'read', arguments: '{"file_path":"shot.png"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'toolu_1', content: 'README.md' },
      { role: 'tool', tool_call_id: 'toolu_2', content: '[image 1 follows in the next message]' },
      { role: 'user', content: [{ type: 'text', text: 'Images from the tool results above:' }, { type: 'image_url', image_url: { url: `data:image/png;base64,${png}` } }] },
      { role: 'user', content: 'Also check src.' },
    ]);
    // The recorded Messages view reads back as the harness sent it, so shared responders work on either server.
    assert.match(JSON.stringify(s.requests[0]!.body.messages), /"tool_result".*"tool_use_id":"toolu_1"/);
  });

  it('turns split tool-call argument deltas into tool_use blocks with stop_reason tool_use', async () => {
    const { model } = await start([
      { kind: 'message', blocks: [{ type: 'text', text: 'Two things.' }, { type: 'tool_use', name: 'bash', input: { command: 'ls -la src && cat README.md' } }, { type: 'tool_use', name: 'read', input: { file_path: 'a.txt' } }] },
    ]);
    const r = await run(model.stream(request(), signal()));
    assert.deepEqual(
      r.blocks.map((b) => (b.type === 'text' ? b.text : b)),
      ['Two things.', { type: 'tool_use', name: 'bash', input: { command: 'ls -la src && cat README.md' } }, { type: 'tool_use', name: 'read', input: { file_path: 'a.txt' } }],
    );
    assert.equal(r.stopReason, 'tool_use');
  });

  it('hands malformed tool-call JSON on as an invalid tool use, as with Claude', async () => {
    const { model } = await start([{ kind: 'message', blocks: [{ type: 'tool_use_raw', name: 'bash', raw_json: '{"command": "ls' }] }]);
    const r = await run(model.stream(request(), signal()));
    assert.equal(r.blocks.length, 1);
    const b = r.blocks[0]!;
    assert.equal(b.type, 'invalid_tool_use');
    assert.equal(b.type === 'invalid_tool_use' && b.raw, '{"command": "ls');
  });

  it('passes a call to a tool the request did not offer through by name, for the harness to answer', async () => {
    const { model } = await start([reply.tool('launch_rockets', { count: 3 })]);
    const r = await run(model.stream(request(), signal()));
    assert.deepEqual(r.blocks, [{ type: 'tool_use', name: 'launch_rockets', input: { count: 3 } }]);
  });

  it('maps length to max_tokens and content_filter to refusal', async () => {
    const { model } = await start([reply.toolCutByMaxTokens('bash', { command: 'echo a long command' }), reply.refusal('I cannot help with that.')]);
    const cut = await run(model.stream(request(), signal()));
    assert.equal(cut.stopReason, 'max_tokens');
    assert.equal(cut.blocks[0]!.type, 'invalid_tool_use');
    const refused = await run(model.stream(request(), signal()));
    assert.equal(refused.stopReason, 'refusal');
  });

  it('sends the key as a bearer token, a configured model id and extra headers', async () => {
    const { s, model } = await start([reply.text('ok')], { apiKey: 'sk-local' }, { apiKey: async () => 'sk-local', model: 'llama3.1:8b', headers: { 'x-title': 'Hangar' } });
    await run(model.stream(request(), signal()));
    assert.equal(s.requests[0]!.headers.authorization, 'Bearer sk-local');
    assert.equal(s.requests[0]!.headers['x-title'], 'Hangar');
    assert.equal(s.requests[0]!.chat.model, 'llama3.1:8b');
  });

  describe('failures, classified for the retry policy', () => {
    it('401: auth, not retried, with the hint where to set the key', async () => {
      const { model } = await start([], { apiKey: 'right' }, { apiKey: 'wrong', keyHint: 'Set it with `hangar set-key --model-provider local`.' });
      const e = await failure(model.stream(request(), signal()));
      assert.equal(e.kind, 'auth');
      assert.equal(e.retryable, false);
      assert.match(e.message, /refused the API key \(401: Incorrect API key provided\.\)\. Set it with `hangar set-key --model-provider local`\./);
    });

    it('404 model: invalid_request naming the model', async () => {
      const { model } = await start([], { models: ['llama3.1:8b'] });
      const e = await failure(model.stream(request(), signal()));
      assert.equal(e.kind, 'invalid_request');
      assert.equal(e.status, 404);
      assert.match(e.message, /The model "qwen3-coder" was not found at http:\/\/127\.0\.0\.1:\d+\/v1/);
    });

    it('429: rate_limited with the Retry-After wait', async () => {
      const { model } = await start([reply.fault('rate_limit', { retry_after_s: 7 })]);
      const e = await failure(model.stream(request(), signal()));
      assert.equal(e.kind, 'rate_limited');
      assert.equal(e.retryAfterMs, 7000);
      assert.equal(e.retryable, true);
    });

    it('500: server; 503: overloaded; both retried', async () => {
      const { model } = await start([reply.fault('server_error'), reply.fault('overloaded')]);
      const a = await failure(model.stream(request(), signal()));
      assert.deepEqual([a.kind, a.status, a.retryable], ['server', 500, true]);
      const b = await failure(model.stream(request(), signal()));
      assert.deepEqual([b.kind, b.status, b.retryable], ['overloaded', 503, true]);
    });

    it('an HTML page: says to check the base URL, not retried', async () => {
      const { model } = await start([reply.fault('html_page')]);
      const e = await failure(model.stream(request(), signal()));
      assert.equal(e.kind, 'invalid_request');
      assert.match(e.message, /answered with an HTML page instead of the API's event stream\. Check the base URL/);
      assert.doesNotMatch(e.message, /<html/i);
    });

    it('a stream that ends without a finish reason: a retryable stream error', async () => {
      const { model } = await start([reply.fault('no_finish_reason')]);
      const e = await failure(model.stream(request(), signal()));
      assert.equal(e.kind, 'stream');
      assert.equal(e.retryable, true);
      assert.match(e.message, /ended without a finish reason/);
    });

    it('a cut stream and a chunk that is not JSON: retryable', async () => {
      const { model } = await start([reply.fault('drop_mid_stream'), reply.fault('malformed_sse')]);
      const cut = await failure(model.stream(request(), signal()));
      assert.ok(cut.retryable, `${cut.kind}: ${cut.message}`);
      const bad = await failure(model.stream(request(), signal()));
      assert.equal(bad.kind, 'stream');
      assert.match(bad.message, /not JSON/);
    });

    it('connection refused: network, naming the URL', async () => {
      const port = await freePort();
      const model = createOpenAiCompatibleClient({ baseUrl: `http://127.0.0.1:${port}/v1/` });
      const e = await failure(model.stream(request(), signal()));
      assert.equal(e.kind, 'network');
      assert.equal(e.url, `http://127.0.0.1:${port}/v1`);
      assert.match(e.message, new RegExp(`Can't reach the model at http://127\\.0\\.0\\.1:${port}/v1 \\(ECONNREFUSED\\)`));
    });

    it('aborting ends a hanging request promptly without a ModelError', async () => {
      const { model } = await start([reply.fault('hang')]);
      const ctl = new AbortController();
      setTimeout(() => ctl.abort(), 50);
      const started = Date.now();
      const outcome = await run(model.stream(request(), ctl.signal)).then(
        () => 'completed',
        (e: unknown) => (e instanceof ModelError && !/aborted/i.test(e.message) ? `ModelError ${e.kind}` : 'aborted'),
      );
      assert.notEqual(outcome, 'completed');
      assert.ok(Date.now() - started < 5000);
    });
  });
});

describe('scripted OpenAI-compatible server', () => {
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('lists its models at /v1/models', async () => {
    const { s } = await start([], { models: ['llama3.1:8b', 'qwen3-coder'] });
    const body = (await (await fetch(`${s.url}/models`)).json()) as { data: { id: string }[] };
    assert.deepEqual(body.data.map((m) => m.id), ['llama3.1:8b', 'qwen3-coder']);
  });

  it('refuses what a real server refuses: unknown parameters, unanswered tool calls', async () => {
    const { s } = await start([]);
    const post = (body: unknown) => fetch(`${s.url}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const leak = await post({ model: 'm', messages: [{ role: 'user', content: 'hi' }], thinking: { type: 'adaptive' } });
    assert.equal(leak.status, 400);
    assert.match(((await leak.json()) as { error: { message: string } }).error.message, /Unrecognized request argument supplied: thinking/);
    const unanswered = await post({
      model: 'm',
      messages: [
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'bash', arguments: '{}' } }] },
        { role: 'user', content: 'and?' },
      ],
    });
    assert.equal(unanswered.status, 400);
    assert.match(((await unanswered.json()) as { error: { message: string } }).error.message, /did not have response messages: call_1/);
    assert.equal(s.requests.length, 0);
    assert.equal(s.rejected.length, 2);
  });

  it('answers a non-streaming request with a whole chat.completion', async () => {
    const { s } = await start([reply.tool('bash', { command: 'ls' }, 'Listing.')]);
    const res = await fetch(`${s.url}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }) });
    const body = (await res.json()) as { choices: { message: { content: string; tool_calls: { function: { name: string; arguments: string } }[] }; finish_reason: string }[] };
    assert.equal(body.choices[0]!.finish_reason, 'tool_calls');
    assert.equal(body.choices[0]!.message.content, 'Listing.');
    assert.deepEqual(body.choices[0]!.message.tool_calls[0]!.function, { name: 'bash', arguments: '{"command":"ls"}' });
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}
