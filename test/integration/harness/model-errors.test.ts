import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { makeTestRuntime, type TestRuntime } from '../../support/runtime';
import { MODEL_APIS, modelClientFor, type ModelApi } from '../../support/model-apis';
import type { EventOf, SessionEvent } from '../../../src/wire';

// Model failures read as plain sentences with the fix, and say truthfully whether they were retried (issue #12 §6):
// the session.error carries privately how the request failed and when it is tried again, for the panel's card.

const idle = (events: readonly SessionEvent[]) => events.some((e) => e.type === 'session.status_idle');
const errors = (events: readonly SessionEvent[]) => events.filter((e): e is EventOf<'session.error'> => e.type === 'session.error');

/** A model API that answers every request with one status and that API's real JSON error body. */
async function answering(api: ModelApi, status: number, type: string, message: string): Promise<{ url: string; requests: () => number; close: () => Promise<void> }> {
  let count = 0;
  const server = http.createServer((req, res) => {
    count += 1;
    req.resume();
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(api === 'anthropic' ? { type: 'error', error: { type, message }, request_id: 'req_test' } : { error: { message, type, param: null, code: null } }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, requests: () => count, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

for (const api of MODEL_APIS) {
  describe(`harness: model errors in plain words (${api})`, () => {
    let t: TestRuntime | undefined;
    let server: Awaited<ReturnType<typeof answering>> | undefined;
    afterEach(async () => {
      await t?.close();
      await server?.close();
      t = server = undefined;
    });

    it('a refused key (401) stops at once: one error, no retries, no raw JSON, no "gave up"', async () => {
      server = await answering(api, 401, 'authentication_error', 'invalid x-api-key');
      t = await makeTestRuntime({ runtime: { model: modelClientFor(api, server.url) } });
      const id = await t.start('hi');
      const events = await t.waitFor(id, idle);
      const errs = errors(events);
      assert.equal(errs.length, 1);
      assert.equal(server.requests(), 1, 'a refused key is not retried');
      const err = errs[0]!;
      assert.equal(err.error.retry_status.type, 'exhausted');
      const refused = api === 'anthropic' ? /^The API key was refused \(401 authentication_error: invalid x-api-key\)/ : new RegExp(`^${server.url.replace(/[.]/g, '\\.')}/? refused the API key \\(401: invalid x-api-key\\)`);
      assert.match(err.error.message, refused);
      assert.doesNotMatch(err.error.message, /gave up|\{"type"/i);
      const logged = errors(await t.events(id))[0]!;
      assert.deepEqual(logged._hangar?.model_error, { kind: 'auth', attempt: 1 });
    });

    it('a busy model (429) is retried with the wait logged, and the last error says how many attempts were made', async () => {
      server = await answering(api, 429, 'rate_limit_error', 'slow down');
      t = await makeTestRuntime({ runtime: { model: modelClientFor(api, server.url) } });
      const id = await t.start('hi');
      await t.waitFor(id, idle);
      const errs = errors(await t.events(id));
      assert.equal(errs.length, 4, 'three retries (the test policy), then the last error');
      for (const [i, e] of errs.slice(0, 3).entries()) {
        assert.equal(e.error.retry_status.type, 'retrying');
        assert.match(e.error.message, api === 'anthropic' ? /^The model is rate limited \(429 rate_limit_error: slow down\)\.$/ : /^The model is rate limited \(429: slow down\)\.$/);
        assert.equal(e._hangar?.model_error?.attempt, i + 1);
        assert.equal(e._hangar?.model_error?.kind, 'rate_limited');
        assert.equal(typeof e._hangar?.model_error?.retry_in_ms, 'number');
      }
      assert.match(errs[3]!.error.message, /Gave up after 4 attempts\.$/);
      assert.equal(errs[3]!.error.retry_status.type, 'exhausted');
    });

    it('an unreachable model is named by its address', async () => {
      server = await answering(api, 500, 'api_error', 'unused');
      const url = server.url;
      await server.close();
      server = undefined;
      t = await makeTestRuntime({ runtime: { model: modelClientFor(api, url) } });
      const id = await t.start('hi');
      await t.waitFor(id, idle);
      const first = errors(await t.events(id))[0]!;
      assert.match(first.error.message, new RegExp(`^Can't reach the model at ${url.replace(/[.]/g, '\\.')}/? \\(ECONNREFUSED\\)`));
      assert.equal(first._hangar?.model_error?.kind, 'network');
      assert.match(first._hangar?.model_error?.url ?? '', new RegExp(url.replace(/[.]/g, '\\.')));
    });
  });
}
