import assert from 'node:assert/strict';
import { buildMessages } from '../../../src/harness/context';
import { conversationEvents, REWOUND_RESULT } from '../../../src/harness/rewind';
import type { SessionEvent } from '../../../src/wire';

let n = 0;
const ev = (type: SessionEvent['type'], fields: Record<string, unknown> = {}): SessionEvent =>
  ({ id: `sevt_${++n}`, type, processed_at: '2026-01-01T00:00:00.000Z', ...fields }) as unknown as SessionEvent;
const usage = { input_tokens: 1, output_tokens: 1, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
const TREE = 'a'.repeat(40);
const say = (text: string) => ev('user.message', { content: [{ type: 'text', text }] });
const ckpt = (id: string, trigger = 'idle') => ev('hangar.checkpoint', { checkpoint_id: id, tree: TREE, trigger, tool_use_id: null });
const rewind = (id: string) => ev('hangar.rewind', { checkpoint_id: id, tree: TREE });
function turn(text: string): SessionEvent[] {
  const start = ev('span.model_request_start');
  return [start, ev('agent.message', { content: [{ type: 'text', text }] }), ev('span.model_request_end', { model_request_start_id: start.id, is_error: false, model_usage: usage })];
}
const texts = (events: readonly SessionEvent[]) => JSON.stringify(buildMessages(events));

describe('harness rewind: the conversation a rewind continues', () => {
  it('is the log itself when nothing was rewound', () => {
    const log = [say('a'), ...turn('one'), ckpt('c1')];
    assert.equal(conversationEvents(log), log);
  });

  it('continues from the checkpoint, and nested rewinds bring back the conversation each checkpoint ended', () => {
    const log = [say('a'), ...turn('one'), ckpt('c1'), say('b'), ...turn('two'), ckpt('c2'), rewind('c1'), say('c'), ...turn('three'), ckpt('c3')];
    assert.match(texts(log), /one.*c.*three/s);
    assert.doesNotMatch(texts(log), /two|"b"/);
    // c3 was taken after the first rewind: going back to it keeps that rewind's cut.
    const again = [...log, rewind('c2'), say('d')];
    assert.match(texts(again), /one.*b.*two.*d/s);
    assert.doesNotMatch(texts(again), /three/);
    const back = [...again, rewind('c3'), say('e')];
    assert.match(texts(back), /one.*c.*three.*e/s);
    assert.doesNotMatch(texts(back), /two|"d"/);
    // The log itself is never shortened.
    assert.equal(conversationEvents(back).filter((e) => e.type === 'hangar.rewind').length, 0);
  });

  it('answers the calls a mid-reply checkpoint left open, so the request stays valid', () => {
    const start = ev('span.model_request_start');
    const first = ev('agent.tool_use', { name: 'write', input: {} });
    const second = ev('agent.tool_use', { name: 'bash', input: {} });
    const log = [
      say('go'),
      start,
      first,
      second,
      ev('span.model_request_end', { model_request_start_id: start.id, is_error: false, model_usage: usage }),
      ev('agent.tool_result', { tool_use_id: first.id, content: [{ type: 'text', text: 'written' }] }),
      ckpt('c1', 'tool_call'),
      ev('agent.tool_result', { tool_use_id: second.id, content: [{ type: 'text', text: 'ran' }] }),
      ...turn('done'),
      rewind('c1'),
      say('again'),
    ];
    const messages = buildMessages(log);
    const results = (messages.at(-1)!.content as { type: string; tool_use_id?: string; content?: unknown; is_error?: boolean }[]).filter((b) => b.type === 'tool_result');
    assert.deepEqual(results.map((r) => [r.tool_use_id, r.is_error ?? false]), [[first.id, false], [second.id, true]]);
    assert.match(JSON.stringify(results[1]!.content), new RegExp(REWOUND_RESULT.slice(0, 20)));
    assert.doesNotMatch(JSON.stringify(messages), /"ran"|done/);
  });
});
