import assert from 'node:assert/strict';
import { createOpenAiCompatibleClient } from '../../../src/model/openai';
import { reply, startScriptedOpenAiModel, type ScriptedOpenAiModel } from '../../../src/model/scripted';
import { makeTestRuntime, type TestRuntime } from '../../support/runtime';
import type { EventOf, SessionEvent } from '../../../src/wire';

// A session on an OpenAI-compatible provider that answers badly (issue #14, "Bad input"): each failure is one plain
// sentence with the fix, retried only where that can help, and the session stays usable.

const idle = (events: readonly SessionEvent[]) => events.some((e) => e.type === 'session.status_idle');
const errors = (events: readonly SessionEvent[]) => events.filter((e): e is EventOf<'session.error'> => e.type === 'session.error');

describe('harness: an OpenAI-compatible provider that answers badly', () => {
  let t: TestRuntime | undefined;
  let provider: ScriptedOpenAiModel | undefined;
  afterEach(async () => {
    await t?.close();
    await provider?.close();
    t = provider = undefined;
  });

  async function session(server: ScriptedOpenAiModel, model = 'llama3.1:8b'): Promise<{ id: string; events: SessionEvent[] }> {
    t = await makeTestRuntime({ runtime: { model: createOpenAiCompatibleClient({ baseUrl: server.url }) } });
    const id = await t.start('hi', { model });
    await t.waitFor(id, idle);
    return { id, events: await t.events(id) };
  }

  it('an HTML page instead of the API: one error naming the base URL, not retried', async () => {
    provider = await startScriptedOpenAiModel({ script: [reply.fault('html_page'), reply.text('unused')] });
    const { events } = await session(provider);
    const errs = errors(events);
    assert.equal(errs.length, 1);
    assert.equal(provider.requests.length, 1, 'not retried');
    assert.match(errs[0]!.error.message, new RegExp(`^${provider.url.replace(/[.]/g, '\\.')} answered with an HTML page instead of the API's event stream\\. Check the base URL`));
    assert.equal(errs[0]!.error.retry_status.type, 'exhausted');
    assert.equal(errs[0]!._hangar?.model_error?.kind, 'invalid_request');
  });

  it('a model the provider does not serve (404): one error naming the model, not retried', async () => {
    provider = await startScriptedOpenAiModel({ models: ['qwen3-coder'] });
    const { events } = await session(provider, 'llama3.1:8b');
    const errs = errors(events);
    assert.equal(errs.length, 1);
    assert.equal(provider.rejected.length, 1, 'not retried');
    assert.match(errs[0]!.error.message, /^The model "llama3\.1:8b" was not found at http:\/\/127\.0\.0\.1:\d+\/v1 \(404: The model `llama3\.1:8b` does not exist/);
    assert.equal(errs[0]!._hangar?.model_error?.kind, 'invalid_request');
  });

  it('a stream without a finish reason is retried, and the retry answers', async () => {
    provider = await startScriptedOpenAiModel({ script: [reply.fault('no_finish_reason'), reply.text('second time lucky', { usage: { input_tokens: 1200, output_tokens: 9, cache_read_input_tokens: 1024 } })] });
    const { events } = await session(provider);
    const errs = errors(events);
    assert.equal(errs.length, 1);
    assert.equal(errs[0]!.error.retry_status.type, 'retrying');
    assert.match(errs[0]!.error.message, /ended without a finish reason/);
    assert.ok(events.some((e) => e.type === 'agent.message' && JSON.stringify(e.content).includes('second time lucky')));
    // The provider's usage (cached prompt tokens as cache reads) is what the span and the session count.
    const end = events.filter((e): e is EventOf<'span.model_request_end'> => e.type === 'span.model_request_end').at(-1)!;
    assert.deepEqual(end.model_usage, { input_tokens: 1200, output_tokens: 9, cache_creation_input_tokens: 0, cache_read_input_tokens: 1024 });
  });

  it('an unreachable provider is named by its address and retried', async () => {
    provider = await startScriptedOpenAiModel();
    const url = provider.url;
    await provider.close();
    provider = undefined;
    t = await makeTestRuntime({ runtime: { model: createOpenAiCompatibleClient({ baseUrl: url }) } });
    const id = await t.start('hi');
    await t.waitFor(id, idle);
    const errs = errors(await t.events(id));
    assert.equal(errs.length, 4, 'three retries (the test policy), then the last error');
    assert.match(errs[0]!.error.message, new RegExp(`^Can't reach the model at ${url.replace(/[.]/g, '\\.')} \\(ECONNREFUSED\\)`));
    assert.equal(errs[0]!._hangar?.model_error?.url, url);
  });
});
