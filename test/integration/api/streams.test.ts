import assert from 'node:assert/strict';
import { request } from 'node:http';
import Anthropic from '@anthropic-ai/sdk';
import type { BetaRunnableTool } from '@anthropic-ai/sdk/lib/tools/BetaRunnableTool';
import { reply } from '../../../src/model/scripted';
import { collect, idleWith, sleep, startApi, typesOf, type ApiFixture, type StreamEvent } from './helpers';

// §4 and §9 item 11: SSE framing and heartbeats on the wire, reconnect-and-dedupe, the SDK's toolRunner, streams
// ending at session.deleted, and no subscription outliving its client.

const say = (text: string) => ({ events: [{ type: 'user.message' as const, content: [{ type: 'text' as const, text }] }] });
const idOf = (e: StreamEvent) => ('id' in e ? e.id : '');

/** Reads a raw SSE response until `until` matches the accumulated text. */
function rawStream(f: ApiFixture, path: string, until: (text: string) => boolean): Promise<{ status: number; headers: Record<string, unknown>; text: string; headersAt: number; firstByteAt: number }> {
  return new Promise((resolve, reject) => {
    let text = '';
    let firstByteAt = 0;
    const start = Date.now();
    const req = request({ host: '127.0.0.1', port: f.server.port, path, headers: { authorization: `Bearer ${f.server.token}`, accept: 'application/json' } }, (res) => {
      const headersAt = Date.now() - start;
      res.on('data', (c: Buffer) => {
        firstByteAt ||= Date.now() - start;
        text += c.toString('utf8');
        if (until(text)) {
          req.destroy();
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, headersAt, firstByteAt });
        }
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text, headersAt, firstByteAt }));
    });
    req.on('error', (err) => (text && until(text) ? undefined : reject(err)));
    req.end();
  });
}

describe('api: event streams', function () {
  this.timeout(60_000);
  let f: ApiFixture;
  afterEach(async () => f?.close());

  it('frames every event as event:/single-line data:, sends heartbeats while idle, and adds no CORS headers', async () => {
    f = await startApi({ script: [reply.text('line one\nline two')] });
    const session = await f.session((await f.agent()).id);
    const reading = rawStream(f, `/v1/sessions/${session.id}/events/stream`, (t) => t.includes('event: session.status_idle') && t.slice(t.indexOf('event: session.status_idle')).includes(': keepalive'));
    await sleep(50);
    await f.client.beta.sessions.events.send(session.id, say('hi'));
    const r = await reading;
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'text/event-stream');
    assert.equal(r.headers['cache-control'], 'no-cache');
    assert.ok(!Object.keys(r.headers).some((h) => h.startsWith('access-control-')), 'no CORS headers');
    const blocks = r.text.split('\n\n').filter((b) => b.startsWith('event:'));
    assert.ok(blocks.length >= 6);
    for (const b of blocks) {
      const lines = b.split('\n');
      assert.equal(lines.length, 2, `one event line and one data line: ${b}`);
      const name = lines[0]!.slice('event: '.length);
      const data = JSON.parse(lines[1]!.slice('data: '.length)) as { type: string; id: string };
      assert.equal(data.type, name);
      assert.match(data.id, /^sevt_/);
    }
    assert.ok(r.text.lastIndexOf(': keepalive') > r.text.indexOf('event: session.status_idle'), 'heartbeats continue after idle: the stream stays open');
  });

  it('reconnecting mid-turn and merging list + live stream by id loses and duplicates nothing', async () => {
    f = await startApi({ script: [reply.tool('bash', { command: 'sleep 2; echo slow-done' }), reply.text('all finished')] });
    const session = await f.session((await f.agent()).id);
    const first = await f.client.beta.sessions.events.stream(session.id);
    await f.client.beta.sessions.events.send(session.id, say('do the slow thing'));
    const before = await collect(first, (seen) => seen.some((e) => e.type === 'agent.tool_use'));
    // Disconnected while the tool runs: events keep being appended without a listener.
    await sleep(300);
    const second = await f.client.beta.sessions.events.stream(session.id);
    const history: StreamEvent[] = [];
    for await (const e of f.client.beta.sessions.events.list(session.id, { limit: 3 })) history.push(e as StreamEvent);
    const live = await collect(second, idleWith('end_turn'));
    assert.ok(!live.some((e) => before.some((b) => idOf(b) === idOf(e))), 'the new stream replays nothing from before it opened');
    const merged = new Map<string, StreamEvent>();
    for (const e of [...before, ...history, ...live]) if (!merged.has(idOf(e))) merged.set(idOf(e), e);
    const final = (await f.client.beta.sessions.events.list(session.id)).data.map((e) => e.id);
    assert.deepEqual([...merged.keys()].sort(), [...final].sort(), 'the merge holds exactly the persisted events');
    assert.ok(typesOf([...merged.values()]).includes('agent.tool_result'));
    assert.equal(new Set(live.map(idOf)).size, live.length, 'the live stream delivers each event once');
    assert.ok(history.some((e) => !before.some((b) => idOf(b) === idOf(e)) && !live.some((l) => idOf(l) === idOf(e))), 'only the listing had what happened while disconnected');
  });

  it("drives a custom tool with the SDK's sessions.events.toolRunner", async () => {
    f = await startApi({ script: [reply.tool('lookup', { q: 'abc' }), reply.text('got it')] });
    const agent = await f.agent({ tools: [{ type: 'custom', name: 'lookup', description: 'Look something up', input_schema: { type: 'object', properties: { q: { type: 'string' } } } }] });
    const session = await f.session(agent.id);
    const lookup: BetaRunnableTool<{ q: string }> = {
      name: 'lookup',
      description: 'Look something up',
      input_schema: { type: 'object', properties: { q: { type: 'string' } } },
      parse: (input) => input as { q: string },
      run: (args) => `found ${args.q}`,
    };
    await f.client.beta.sessions.events.send(session.id, say('look up abc'));
    const calls = [];
    for await (const call of f.client.beta.sessions.events.toolRunner(session.id, { tools: [lookup], maxIdleMs: 300 })) calls.push(call);
    assert.equal(calls.length, 1);
    assert.equal(calls[0]!.name, 'lookup');
    assert.equal(calls[0]!.isError, false);
    const events = (await f.client.beta.sessions.events.list(session.id)).data;
    const result = events.find((e) => e.type === 'user.custom_tool_result');
    assert.ok(result?.type === 'user.custom_tool_result');
    assert.deepEqual(result.content, [{ type: 'text', text: 'found abc' }]);
    assert.equal(events.at(-1)?.type, 'session.status_idle');
    assert.ok(f.requests.some((r) => r.path.endsWith('/events') && r.method === 'GET'), 'the runner listed history after attaching');
  });

  it('ends open streams after session.deleted', async () => {
    f = await startApi({ script: [reply.text('bye')] });
    const session = await f.session((await f.agent()).id);
    const stream = await f.client.beta.sessions.events.stream(session.id);
    const seen: StreamEvent[] = [];
    const ended = (async () => {
      for await (const e of stream) seen.push(e);
    })();
    const deleted = await f.client.beta.sessions.delete(session.id);
    assert.deepEqual(deleted, { id: session.id, type: 'session_deleted' });
    await ended;
    assert.deepEqual(typesOf(seen), ['session.deleted']);
    assert.equal(f.server.openStreams(), 0);
  });

  it('cleans up the subscription of every client that disconnects', async () => {
    f = await startApi({ script: [reply.text('x')] });
    const session = await f.session((await f.agent()).id);
    const sessions = f.t.runtime.sessions;
    const subscribe = sessions.subscribe.bind(sessions);
    let live = 0;
    sessions.subscribe = async (...args: Parameters<typeof subscribe>) => {
      const off = await subscribe(...args);
      live++;
      return () => {
        live--;
        off();
      };
    };
    const streams = await Promise.all([1, 2, 3].map(() => f.client.beta.sessions.events.stream(session.id, { event_deltas: ['agent.message'] })));
    while (live < 3) await sleep(10);
    assert.equal(f.server.openStreams(), 3);
    for (const s of streams) s.controller.abort();
    for (let i = 0; i < 200 && (live > 0 || f.server.openStreams() > 0); i++) await sleep(10);
    assert.equal(live, 0, 'every subscription was released');
    assert.equal(f.server.openStreams(), 0);
    // A raw client that vanishes without reading is cleaned up too.
    await rawStream(f, `/v1/sessions/${session.id}/events/stream`, (t) => t.includes(': keepalive'));
    for (let i = 0; i < 200 && (live > 0 || f.server.openStreams() > 0); i++) await sleep(10);
    assert.equal(live, 0);
  });

  it('close() ends open streams and stops accepting requests', async () => {
    f = await startApi();
    const session = await f.session((await f.agent()).id);
    const stream = await f.client.beta.sessions.events.stream(session.id);
    const drained = (async () => {
      const seen: StreamEvent[] = [];
      for await (const e of stream) seen.push(e);
      return seen;
    })();
    await f.server.close();
    assert.deepEqual(await drained, [], 'the stream ended without an error');
    assert.equal(f.server.openStreams(), 0);
    await assert.rejects(f.client.beta.agents.list({}, { maxRetries: 0 }), (err: unknown) => err instanceof Anthropic.APIConnectionError);
  });

  it('a stream that cannot follow its session ends with an error frame the SDK throws as APIError', async () => {
    f = await startApi();
    const session = await f.session((await f.agent()).id);
    f.t.runtime.sessions.subscribe = () => Promise.reject(new Error('log unreadable'));
    const stream = await f.client.beta.sessions.events.stream(session.id);
    await assert.rejects(
      (async () => {
        for await (const e of stream) void e;
      })(),
      (err: unknown) => err instanceof Anthropic.APIError && err.status === undefined && err.type === 'api_error' && /log unreadable/.test(err.message),
    );
    assert.equal(f.server.openStreams(), 0);
  });
});
