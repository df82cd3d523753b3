import assert from 'node:assert/strict';
import { buildMessages, buildRequest } from '../../../src/harness/context';
import { compactionCut, measureTokens, nearsWindow } from '../../../src/harness/compaction';
import { DEFAULT_CATALOG } from '../../../src/wire';
import type { SessionEvent } from '../../../src/wire';

let n = 0;
const ev = <T extends SessionEvent['type']>(type: T, fields: Record<string, unknown> = {}): SessionEvent =>
  ({ id: `sevt_${++n}`, type, processed_at: '2026-01-01T00:00:00.000Z', ...fields }) as unknown as SessionEvent;
const usage = { input_tokens: 1, output_tokens: 1, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };

describe('harness context: events → Messages request', () => {
  it('groups a span into one assistant turn and leads the next user turn with tool results', () => {
    const start = ev('span.model_request_start');
    const use = ev('agent.tool_use', { name: 'bash', input: { command: 'ls' }, evaluated_permission: 'allow' });
    const events = [
      ev('user.message', { content: [{ type: 'text', text: 'hi' }] }),
      start,
      ev('agent.message', { content: [{ type: 'text', text: 'looking' }] }),
      use,
      ev('span.model_request_end', { model_request_start_id: start.id, is_error: false, model_usage: usage }),
      ev('user.message', { content: [{ type: 'text', text: 'steer' }] }),
      ev('agent.tool_result', { tool_use_id: use.id, content: [{ type: 'text', text: 'a.txt' }], is_error: false }),
    ];
    const msgs = buildMessages(events);
    assert.deepEqual(msgs.map((m) => m.role), ['user', 'assistant', 'user']);
    assert.deepEqual(msgs[1]!.content, [
      { type: 'text', text: 'looking' },
      { type: 'tool_use', id: use.id, name: 'bash', input: { command: 'ls' } },
    ]);
    const last = msgs[2]!.content as { type: string }[];
    assert.deepEqual(last.map((b) => b.type), ['tool_result', 'text'], 'tool results come first even when the steer arrived earlier');
  });

  it('leaves failed model requests and their tool calls out of the context', () => {
    const bad = ev('span.model_request_start');
    const badUse = ev('agent.tool_use', { name: 'bash', input: {} });
    const good = ev('span.model_request_start');
    const events = [
      ev('user.message', { content: [{ type: 'text', text: 'go' }] }),
      bad,
      ev('agent.message', { content: [{ type: 'text', text: 'partial' }] }),
      badUse,
      ev('span.model_request_end', { model_request_start_id: bad.id, is_error: true, model_usage: usage }),
      ev('agent.tool_result', { tool_use_id: badUse.id, content: [{ type: 'text', text: 'not run' }], is_error: true }),
      good,
      ev('agent.message', { content: [{ type: 'text', text: 'complete' }] }),
      ev('span.model_request_end', { model_request_start_id: good.id, is_error: false, model_usage: usage }),
    ];
    const json = JSON.stringify(buildMessages(events));
    assert.doesNotMatch(json, /partial|not run/);
    assert.match(json, /complete/);
  });

  it('merges consecutive user turns (e.g. after an interrupt with no reply)', () => {
    const start = ev('span.model_request_start');
    const events = [
      ev('user.message', { content: [{ type: 'text', text: 'one' }] }),
      start,
      ev('span.model_request_end', { model_request_start_id: start.id, is_error: false, model_usage: usage }),
      ev('user.interrupt'),
      ev('user.message', { content: [{ type: 'text', text: 'two' }] }),
    ];
    const msgs = buildMessages(events);
    assert.equal(msgs.length, 1);
    assert.equal(msgs[0]!.role, 'user');
    assert.equal((msgs[0]!.content as unknown[]).length, 2);
  });

  it('marks cache breakpoints on tools, system and the last two user turns (at most four)', () => {
    const s1 = ev('span.model_request_start');
    const events = [
      ev('user.message', { content: [{ type: 'text', text: 'a' }] }),
      s1,
      ev('agent.message', { content: [{ type: 'text', text: 'b' }] }),
      ev('span.model_request_end', { model_request_start_id: s1.id, is_error: false, model_usage: usage }),
      ev('user.message', { content: [{ type: 'text', text: 'c' }] }),
    ];
    const req = buildRequest(events, { model: 'm', maxTokens: 10, system: 'sys', tools: [{ name: 't1', input_schema: { type: 'object' } }, { name: 't2', input_schema: { type: 'object' } }] });
    const count = JSON.stringify(req).split('"cache_control"').length - 1;
    assert.equal(count, 4);
    assert.equal(req.tools?.[0] && 'cache_control' in req.tools[0], false);
    assert.ok(req.tools?.[1] && 'cache_control' in req.tools[1]);
  });
});

describe('harness context: thinking, stop reasons and compaction', () => {
  const thinking = { type: 'thinking', thinking: 'plan', signature: 'sig-1' };
  const redacted = { type: 'redacted_thinking', data: 'opaque' };
  const server = { type: 'server_tool_use', id: 'srvtoolu_1', name: 'web_search', input: { query: 'q' } };

  it('replays thinking, redacted thinking and server-tool blocks unmodified, in order, before the tool call', () => {
    const start = ev('span.model_request_start');
    const use = ev('agent.tool_use', { name: 'bash', input: { command: 'ls' }, _hangar: { blocks: [server] } });
    const events = [
      ev('user.message', { content: [{ type: 'text', text: 'go' }] }),
      start,
      ev('agent.thinking', { _hangar: { blocks: [thinking] } }),
      ev('agent.thinking', { _hangar: { blocks: [redacted] } }),
      use,
      ev('span.model_request_end', { model_request_start_id: start.id, is_error: false, model_usage: usage, _hangar: { stop_reason: 'tool_use' } }),
      ev('agent.tool_result', { tool_use_id: use.id, content: [{ type: 'text', text: 'ok' }] }),
    ];
    const msgs = buildMessages(events);
    assert.deepEqual(msgs[1]!.content, [thinking, redacted, server, { type: 'tool_use', id: use.id, name: 'bash', input: { command: 'ls' } }]);
  });

  it('leaves out refused replies and replies cut by the context window, with their tool calls and results', () => {
    for (const stop of ['refusal', 'model_context_window_exceeded']) {
      const start = ev('span.model_request_start');
      const use = ev('agent.tool_use', { name: 'bash', input: {} });
      const events = [
        ev('user.message', { content: [{ type: 'text', text: 'go' }] }),
        start,
        ev('agent.thinking', { _hangar: { blocks: [thinking] } }),
        use,
        ev('span.model_request_end', { model_request_start_id: start.id, is_error: false, model_usage: usage, _hangar: { stop_reason: stop } }),
        ev('agent.tool_result', { tool_use_id: use.id, content: [{ type: 'text', text: 'not run' }], is_error: true }),
      ];
      assert.deepEqual(buildMessages(events).map((m) => m.role), ['user'], stop);
    }
  });

  it('drops a turn of thinking alone (an interrupted reply)', () => {
    const start = ev('span.model_request_start');
    const events = [
      ev('user.message', { content: [{ type: 'text', text: 'go' }] }),
      start,
      ev('agent.thinking', { _hangar: { blocks: [thinking] } }),
      ev('span.model_request_end', { model_request_start_id: start.id, is_error: false, model_usage: usage }),
      ev('user.message', { content: [{ type: 'text', text: 'again' }] }),
    ];
    assert.deepEqual(buildMessages(events).map((m) => m.role), ['user']);
  });

  it('after a compaction, sends the summary plus the kept reply verbatim; the cut is derived from the log', () => {
    const events: SessionEvent[] = [ev('user.message', { content: [{ type: 'text', text: 'task' }] })];
    let lastUse = '';
    for (let i = 0; i < 3; i++) {
      const start = ev('span.model_request_start');
      const use = ev('agent.tool_use', { name: 'bash', input: { command: `step ${i}` } });
      lastUse = use.id;
      events.push(start, ev('agent.thinking', { _hangar: { blocks: [{ ...thinking, signature: `sig-${i}` }] } }), use);
      events.push(ev('span.model_request_end', { model_request_start_id: start.id, is_error: false, model_usage: usage }));
      events.push(ev('agent.tool_result', { tool_use_id: use.id, content: [{ type: 'text', text: `out ${i}` }] }));
    }
    const through = compactionCut(events);
    assert.ok(through);
    const cs = ev('span.model_request_start', { _hangar: { purpose: 'compaction' } });
    events.push(cs, ev('span.model_request_end', { model_request_start_id: cs.id, is_error: false, model_usage: usage, _hangar: { purpose: 'compaction' } }));
    events.push(ev('agent.thread_context_compacted', { _hangar: { summary: 'did steps 0 and 1', through } }));
    const msgs = buildMessages(events);
    assert.deepEqual(msgs.map((m) => m.role), ['user', 'assistant', 'user']);
    assert.match(JSON.stringify(msgs[0]), /did steps 0 and 1/);
    assert.deepEqual((msgs[1]!.content as { type: string }[])[0], { ...thinking, signature: 'sig-2' });
    assert.match(JSON.stringify(msgs[2]), new RegExp(lastUse));
    assert.equal(compactionCut(events), null, 'nothing new to summarise right after a compaction');
  });

  it('measures from the last reply\'s usage and decides to compact near the window', () => {
    const start = ev('span.model_request_start');
    const big = { input_tokens: 900, output_tokens: 50, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
    const events = [ev('user.message', { content: [{ type: 'text', text: 'go' }] }), start, ev('span.model_request_end', { model_request_start_id: start.id, is_error: false, model_usage: big })];
    const request = () => assert.fail('the last reply\'s usage is enough; the request is not built');
    assert.equal(measureTokens(events, request), 950);
    const spec = { ...DEFAULT_CATALOG.lookup('claude-sonnet-5-5'), contextWindow: 1_000 };
    assert.equal(nearsWindow(950, 100, spec), true);
    assert.equal(nearsWindow(100, 100, spec), false);
  });

  it('estimates from the whole request when no reply counted it', () => {
    const events = [ev('user.message', { content: [{ type: 'text', text: 'x'.repeat(4_000) }] })];
    let built = 0;
    const request = () => (built++, buildRequest(events, { model: 'm', maxTokens: 10, system: 's', tools: [] }));
    const tokens = measureTokens(events, request);
    assert.equal(built, 1);
    assert.ok(tokens >= 1_000 && tokens < 1_100, `about 4,000 characters / 4, got ${tokens}`);
  });
});
