import assert from 'node:assert/strict';
import { buildMessages, buildRequest } from '../../../src/harness/context';
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
    const { request: req } = buildRequest(events, { model: 'm', maxTokens: 10, system: 'sys', tools: [{ name: 't1', input_schema: { type: 'object' } }, { name: 't2', input_schema: { type: 'object' } }] });
    const count = JSON.stringify(req).split('"cache_control"').length - 1;
    assert.equal(count, 4);
    assert.equal(req.tools?.[0] && 'cache_control' in req.tools[0], false);
    assert.ok(req.tools?.[1] && 'cache_control' in req.tools[1]);
  });
});

describe('harness context: compaction', () => {
  it('cuts the oldest tool outputs once the request outgrows its budget, never the recent turns', () => {
    const events: SessionEvent[] = [ev('user.message', { content: [{ type: 'text', text: 'task' }] })];
    for (let i = 0; i < 10; i++) {
      const start = ev('span.model_request_start');
      const use = ev('agent.tool_use', { name: 'bash', input: { command: `step ${i}` } });
      events.push(start, use, ev('span.model_request_end', { model_request_start_id: start.id, is_error: false, model_usage: usage }));
      events.push(ev('agent.tool_result', { tool_use_id: use.id, content: [{ type: 'text', text: `${i}:`.padEnd(20_000, 'x') }] }));
    }
    const input = { model: 'm', maxTokens: 10, system: 's', tools: [] };
    const whole = buildRequest(events, input);
    assert.equal(whole.elided, 0);
    const compacted = buildRequest(events, { ...input, budgetChars: 100_000 });
    assert.ok(compacted.elided > 0);
    assert.ok(JSON.stringify(compacted.request.messages).length <= 100_000);
    const json = JSON.stringify(compacted.request.messages);
    assert.match(json, /old tool output were left out/);
    const last = compacted.request.messages.at(-1)!;
    assert.match(JSON.stringify(last), /9:x{100}/, 'the newest result is whole');
    assert.deepEqual(buildRequest(events, { ...input, budgetChars: 100_000 }).request, compacted.request, 'deterministic');
  });
});
