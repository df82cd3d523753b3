import assert from 'node:assert/strict';
import { MessageBatcher } from '../../../src/extension/panel/batcher';
import type { HostMessage } from '../../../src/protocol/panel';
import { BUILTIN_MODELS, type SessionEvent, type StreamPreview } from '../../../src/wire';

const event = (i: number): SessionEvent => ({ id: `sevt_${i}`, type: 'session.status_running', processed_at: '2026-01-01T00:00:00.000Z' }) as SessionEvent;
const delta = (id: string, text: string, index = 0): StreamPreview => ({ type: 'event_delta', event_id: id, delta: { type: 'content_delta', index, content: { type: 'text', text } } });
const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));
const priced = (model: string) => ({ prices: BUILTIN_MODELS[model]!.prices });

describe('extension/panel/batcher', () => {
  it('sends 10,000 events as 20 `events` messages, in order, without waiting for a timer', () => {
    const sent: HostMessage[] = [];
    const b = new MessageBatcher((m) => sent.push(m), priced, undefined, { maxEvents: 500, delayMs: 10_000 });
    for (let i = 0; i < 10_000; i++) b.event(event(i));
    assert.equal(sent.length, 20);
    const ids = sent.flatMap((m) => (m.type === 'events' ? m.events.map((e) => e.id) : []));
    assert.deepEqual(ids, Array.from({ length: 10_000 }, (_, i) => `sevt_${i}`));
    b.dispose();
  });

  it('sends a partial batch after the delay, and reports what it flushed', async () => {
    const sent: HostMessage[] = [];
    const flushed: string[][] = [];
    const b = new MessageBatcher((m) => sent.push(m), priced, (evs) => flushed.push(evs.map((e) => e.id)), { delayMs: 5 });
    b.event(event(1));
    b.event(event(2));
    assert.equal(sent.length, 0);
    await tick(30);
    assert.deepEqual(sent.map((m) => m.type), ['events']);
    assert.deepEqual(flushed, [['sevt_1', 'sevt_2']]);
  });

  it('merges consecutive text deltas of one block and keeps previews in order with events', () => {
    const sent: HostMessage[] = [];
    const b = new MessageBatcher((m) => sent.push(m), priced, undefined, { delayMs: 10_000 });
    b.preview({ type: 'event_start', event: { type: 'agent.message', id: 'm1' } });
    b.preview(delta('m1', 'Hel'));
    b.preview(delta('m1', 'lo'));
    b.preview(delta('m1', '!', 1));
    b.event(event(1));
    b.preview(delta('m1', ' again'));
    b.flush();
    assert.deepEqual(sent.map((m) => m.type), ['preview', 'preview', 'preview', 'events', 'preview']);
    const texts = sent.flatMap((m) => (m.type === 'preview' && m.preview.type === 'event_delta' ? [m.preview.delta.content.text] : []));
    assert.deepEqual(texts, ['Hello', '!', ' again']);
  });

  it('keeps only the newest queued output preview of a running tool, in order with events', () => {
    const sent: HostMessage[] = [];
    const b = new MessageBatcher((m) => sent.push(m), priced, undefined, { delayMs: 10_000 });
    const output = (id: string, tail: string): StreamPreview => ({ type: 'tool_output', tool_use_id: id, tail, bytes: tail.length, binary: false });
    b.preview(output('t1', 'a'));
    b.preview(output('t1', 'a\nb'));
    b.preview(output('t2', 'x'));
    b.preview(output('t2', 'x\ny'));
    b.event(event(1));
    b.preview(output('t2', 'x\ny\nz'));
    b.flush();
    const shown = sent.map((m) => (m.type === 'preview' && m.preview.type === 'tool_output' ? `${m.preview.tool_use_id}:${m.preview.tail}` : m.type));
    assert.deepEqual(shown, ['t1:a\nb', 't2:x\ny', 'events', 't2:x\ny\nz']);
  });

  it('drops what is queued when disposed (the webview gets the whole log on its next ready)', async () => {
    const sent: HostMessage[] = [];
    const b = new MessageBatcher((m) => sent.push(m), priced, undefined, { delayMs: 5 });
    b.event(event(1));
    b.dispose();
    await tick(20);
    assert.equal(sent.length, 0);
  });
});
