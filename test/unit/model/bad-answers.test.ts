import assert from 'node:assert/strict';
import { consumeStream } from '../../../src/harness/stream';
import { reply, type ScriptedModel } from '../../../src/model/scripted';
import { ModelError } from '../../../src/model/types';
import { MODEL_APIS, modelClientFor, startScriptedFor } from '../../support/model-apis';

// The same bad answers from either model API, classified alike for the retry policy: a web page instead of the
// API (not retried, check the base URL), a model the server does not have (not retried, named), and a stream that
// ends without saying why (retried).

for (const api of MODEL_APIS) {
  describe(`bad answers from the model API (${api})`, () => {
    let server: ScriptedModel | undefined;
    afterEach(async () => {
      await server?.close();
      server = undefined;
    });

    async function failureOf(fault: 'html_page' | 'model_not_found' | 'no_finish_reason'): Promise<ModelError> {
      server = await startScriptedFor(api, { script: [reply.fault(fault)] });
      const events = modelClientFor(api, server.url).stream({ model: 'claude-sonnet-5-5', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] }, new AbortController().signal);
      try {
        await consumeStream(events, { started: () => 'p', delta: () => undefined, completed: async () => undefined }, { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 });
      } catch (e) {
        assert.ok(e instanceof ModelError, String(e));
        return e;
      }
      assert.fail('expected a failure');
    }

    it('an HTML page: invalid_request naming the base URL, without the page', async () => {
      const e = await failureOf('html_page');
      assert.equal(e.kind, 'invalid_request');
      assert.ok(e.message.startsWith(`${server!.url}`), e.message);
      assert.match(e.message, /answered with an HTML page instead of the API's event stream\. Check the base URL/);
      assert.doesNotMatch(e.message, /<html|Welcome/i);
    });

    it('a model it does not have: invalid_request naming the model', async () => {
      const e = await failureOf('model_not_found');
      assert.equal(e.kind, 'invalid_request');
      assert.equal(e.status, 404);
      assert.match(e.message, /claude-sonnet-5-5/);
    });

    it('a stream that ends without a stop or finish reason: a retryable stream error', async () => {
      const e = await failureOf('no_finish_reason');
      assert.equal(e.kind, 'stream');
      assert.equal(e.retryable, true);
    });
  });
}
